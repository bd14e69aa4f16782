"""Odoo capacity governor state.

``odoo_capacity``: one row per Odoo instance (``url/database``) with the adaptive concurrency
limit shared by all workers and the number of calls in flight. ``odoo_capacity_lease``: one row
per call in flight, with an expiry, so a worker that dies mid-call does not leak its slot (expired
leases are reaped and ``in_flight`` corrected in the same statement). The SQL that uses them is
``amazon_odoo_sync.store.odoo_capacity.SQL``.

Revision ID: 0004_odoo_capacity
Revises: 0003_spapi_access
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_odoo_capacity"
down_revision = "0003_spapi_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "odoo_capacity",
        sa.Column("instance", sa.Text(), primary_key=True),
        sa.Column("concurrency_limit", sa.Integer(), nullable=False),
        sa.Column("max_concurrency", sa.Integer(), nullable=False),
        sa.Column("in_flight", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_decrease_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
        sa.CheckConstraint("concurrency_limit >= 1", name="limit_positive"),
        sa.CheckConstraint("in_flight >= 0", name="in_flight_not_negative"),
    )
    op.create_table(
        "odoo_capacity_lease",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("instance", sa.Text(),
                  sa.ForeignKey("odoo_capacity.instance", ondelete="CASCADE"), nullable=False),
        sa.Column("holder", sa.Text(), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_odoo_capacity_lease_instance_expires_at", "odoo_capacity_lease",
                    ["instance", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_odoo_capacity_lease_instance_expires_at", table_name="odoo_capacity_lease")
    op.drop_table("odoo_capacity_lease")
    op.drop_table("odoo_capacity")
