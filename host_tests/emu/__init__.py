"""A 32-bit Cortex-M0+ (armv6m) emulator harness for the viper kernels (CPython only)."""
