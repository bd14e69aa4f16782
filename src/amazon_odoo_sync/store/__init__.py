"""State store: tables, migrations, database location (external or embedded PostgreSQL)."""
