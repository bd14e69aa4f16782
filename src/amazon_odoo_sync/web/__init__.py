"""Dashboard and HTTP endpoints (metrics, notifications)."""
