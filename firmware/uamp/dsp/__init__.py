"""Sample kernels (viper) and their plain-Python reference twins."""
