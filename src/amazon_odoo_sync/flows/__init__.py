"""Data flows, one module each: when, what, in which order."""
