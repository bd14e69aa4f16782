"""Core state: accounts, marketplaces, cursors, inbox, external ids, quarantine, audit, secrets.

Revision ID: 0001_core
Revises: None
"""

from __future__ import annotations

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the owner of this revision


def downgrade() -> None:
    pass
