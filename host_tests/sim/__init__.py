"""The simulated board: a `machine` stand-in, a deterministic clock and datasheet chip models."""
