"""Chip drivers. Each gets its bus and pins passed in; none imports `machine`."""
