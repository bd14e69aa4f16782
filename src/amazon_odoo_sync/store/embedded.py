"""Embedded PostgreSQL (placeholder until the store owner implements it)."""

from __future__ import annotations

from pathlib import Path


def ensure_embedded_postgres(data_dir: Path) -> str:
    raise NotImplementedError("embedded PostgreSQL: set DATABASE_URL for now")
