"""Simulated chips. Each decodes real bus traffic or pin levels as its datasheet says and
reports the analog state it would produce; tests assert on that, not on the driver's view."""
