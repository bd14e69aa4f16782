"""SP-API access: rate buckets, LWA token cache, circuit breakers.

Revision ID: 0003_spapi_access
Revises: 0002_jobs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_spapi_access"
down_revision = "0002_jobs"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "spapi_rate_buckets",
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("operation", sa.Text, nullable=False),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("rate", sa.Float, nullable=False),
        sa.Column("burst", sa.Float, nullable=False),
        _ts("updated_at", nullable=False),
        _ts("last_throttled_at"),
        sa.Column("throttled_count", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.PrimaryKeyConstraint("account", "region", "operation", name="pk_spapi_rate_buckets"),
        sa.CheckConstraint("rate > 0 AND burst >= 1", name="ck_spapi_rate_buckets_positive_plan"),
    )
    op.create_table(
        "spapi_rate_waiters",
        sa.Column("waiter_id", sa.Uuid, nullable=False),
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("operation", sa.Text, nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        _ts("expires_at", nullable=False),
        sa.PrimaryKeyConstraint("waiter_id", name="pk_spapi_rate_waiters"),
    )
    op.create_index("ix_spapi_rate_waiters_account_region_operation", "spapi_rate_waiters",
                    ["account", "region", "operation"])
    op.create_table(
        "spapi_lwa_tokens",
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("access_token", sa.LargeBinary, nullable=False),
        _ts("expires_at", nullable=False),
        _ts("refreshed_at", nullable=False),
        sa.Column("refresh_count", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.PrimaryKeyConstraint("account", name="pk_spapi_lwa_tokens"),
    )
    op.create_table(
        "spapi_circuits",
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("api", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False, server_default=sa.text("'closed'")),
        sa.Column("failures", sa.Integer, nullable=False, server_default=sa.text("0")),
        _ts("opened_at"),
        _ts("probe_at"),
        _ts("updated_at", nullable=False),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("account", "api", name="pk_spapi_circuits"),
        sa.CheckConstraint("state IN ('closed', 'open', 'half_open')", name="ck_spapi_circuits_state"),
    )


def downgrade() -> None:
    for table in ("spapi_circuits", "spapi_lwa_tokens", "spapi_rate_waiters", "spapi_rate_buckets"):
        op.drop_table(table)
