"""Job queue: procrastinate's schema.

Revision ID: 0002_jobs
Revises: 0001_core
"""

from __future__ import annotations

revision = "0002_jobs"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the owner of this revision


def downgrade() -> None:
    pass
