"""Core state: accounts, marketplaces, cursors, inbox, external ids, quarantine, audit, secrets.

Revision ID: 0001_core
Revises: None

Written out (not generated from ``store.tables``) so the revision stays what it was when later
code changes; ``tests/integration/test_store_schema.py`` checks the two agree.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None

ENCRYPTED = "aos:encrypted"
NOW = sa.text("now()")


def _ts(name: str, *, nullable: bool = False, default: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable,
                     server_default=NOW if default else None)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("seller_id", sa.Text, nullable=False, server_default=""),
        sa.Column("lwa_client_id", sa.Text, nullable=False, server_default=""),
        sa.Column("lwa_client_secret", sa.Text, nullable=True, comment=ENCRYPTED),
        sa.Column("refresh_token", sa.Text, nullable=True, comment=ENCRYPTED),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
        _ts("created_at"),
        _ts("updated_at"),
        sa.CheckConstraint("region IN ('NA', 'EU', 'FE')", name="region"),
    )
    op.create_table(
        "account_marketplaces",
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("marketplace_id", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("account_id", "marketplace_id"),
    )
    op.create_table(
        "odoo_credentials",
        sa.Column("instance", sa.Text, primary_key=True, server_default="default"),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("database", sa.Text, nullable=False),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("api_key", sa.Text, nullable=False, comment=ENCRYPTED),
        _ts("updated_at"),
    )
    op.create_table(
        "sync_cursors",
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("marketplace", sa.Text, nullable=False, server_default=""),
        sa.Column("flow", sa.Text, nullable=False),
        sa.Column("cursor", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token", sa.Text, nullable=True),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("account", "marketplace", "flow"),
    )
    op.create_table(
        "inbox",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("account", sa.Text, nullable=True),
        sa.Column("payload", JSONB, nullable=False),
        _ts("received_at"),
        sa.Column("state", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        _ts("processed_at", nullable=True, default=False),
        sa.UniqueConstraint("source", "key"),
        sa.CheckConstraint("state IN ('pending', 'processed', 'failed', 'quarantined')", name="state"),
    )
    op.create_index("ix_inbox_state_pending", "inbox", ["state", "id"],
                    postgresql_where=sa.text("state IN ('pending', 'failed')"))
    op.create_table(
        "external_ids",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("amazon_key", sa.Text, nullable=False),
        sa.Column("odoo_model", sa.Text, nullable=False),
        sa.Column("odoo_id", sa.BigInteger, nullable=True),
        sa.Column("state", sa.Text, nullable=False, server_default="claimed"),
        sa.Column("payload_hash", sa.Text, nullable=True),
        sa.Column("amazon_updated_at", sa.DateTime(timezone=True), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.UniqueConstraint("account", "kind", "amazon_key"),
    )
    op.create_index("ix_external_ids_odoo_model_odoo_id", "external_ids", ["odoo_model", "odoo_id"])
    op.create_index("ix_external_ids_state", "external_ids", ["state"])
    op.create_table(
        "quarantine",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("flow", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("account", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("details", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("payload", JSONB, nullable=True),
        _ts("first_seen"),
        _ts("last_seen"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
        _ts("resolved_at", nullable=True, default=False),
        sa.Column("resolution", sa.Text, nullable=True),
    )
    op.create_index("uq_quarantine_open_flow_key", "quarantine", ["flow", "key"], unique=True,
                    postgresql_where=sa.text("resolved_at IS NULL"))
    op.create_index("ix_quarantine_open_account", "quarantine", ["account"],
                    postgresql_where=sa.text("resolved_at IS NULL"))
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, primary_key=True),
        _ts("at"),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("object_type", sa.Text, nullable=True),
        sa.Column("object_key", sa.Text, nullable=True),
        sa.Column("details", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_object", "audit_log", ["object_type", "object_key"])


def downgrade() -> None:
    for table in ("audit_log", "quarantine", "external_ids", "inbox", "sync_cursors",
                  "odoo_credentials", "account_marketplaces", "accounts"):
        op.drop_table(table)
