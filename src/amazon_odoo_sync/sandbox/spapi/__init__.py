"""SP-API simulator: a stateful, rate-limited HTTP stand-in for Amazon."""
