"""Odoo capacity governor state.

Revision ID: 0004_odoo_capacity
Revises: 0003_spapi_access
"""

from __future__ import annotations

revision = "0004_odoo_capacity"
down_revision = "0003_spapi_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the owner of this revision


def downgrade() -> None:
    pass
