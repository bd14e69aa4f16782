"""Core tables (revision ``0001_core``) declared on the shared :data:`~.base.metadata`.

These definitions document the schema for SQLAlchemy users (admin commands, autogenerate
checks); the migration ``0001_core`` creates exactly this. Hot paths use named SQL in the
repository modules (:mod:`.inbox`, :mod:`.external_ids`, ...), not these objects.

Rows of the history tables (inbox, external ids, quarantine, cursors, audit) name their account
by ``account`` (the account's unique name), without a foreign key: removing an account erases its
credentials but keeps the idempotency records, so re-adding it never duplicates Odoo records.

Encrypted columns carry the PostgreSQL column comment :data:`ENCRYPTED_COMMENT`;
``secrets rotate-key`` finds every such column in the database (also those of other revisions)
and re-encrypts it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from .base import metadata

__all__ = [
    "ENCRYPTED_COMMENT",
    "INBOX_STATES",
    "account_marketplaces",
    "accounts",
    "audit_log",
    "external_ids",
    "inbox",
    "odoo_credentials",
    "quarantine",
    "sync_cursors",
]

#: Column comment marking a column holding Fernet ciphertext (found by ``secrets rotate-key``).
ENCRYPTED_COMMENT = "aos:encrypted"
INBOX_STATES = ("pending", "processed", "failed", "quarantined")

_NOW = text("now()")


def _ts(name: str, *, nullable: bool = False, default: bool = True) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=nullable,
                  server_default=_NOW if default else None)


accounts = Table(
    "accounts", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("region", Text, nullable=False),
    Column("seller_id", Text, nullable=False, server_default=""),
    Column("lwa_client_id", Text, nullable=False, server_default=""),
    Column("lwa_client_secret", Text, nullable=True, comment=ENCRYPTED_COMMENT),
    Column("refresh_token", Text, nullable=True, comment=ENCRYPTED_COMMENT),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    _ts("created_at"),
    _ts("updated_at"),
    CheckConstraint("region IN ('NA', 'EU', 'FE')", name="region"),
)

account_marketplaces = Table(
    "account_marketplaces", metadata,
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("marketplace_id", Text, nullable=False),
    PrimaryKeyConstraint("account_id", "marketplace_id"),
)

odoo_credentials = Table(
    "odoo_credentials", metadata,
    Column("instance", Text, primary_key=True, server_default="default"),
    Column("url", Text, nullable=False),
    Column("database", Text, nullable=False),
    Column("username", Text, nullable=False),
    Column("api_key", Text, nullable=False, comment=ENCRYPTED_COMMENT),
    _ts("updated_at"),
)

sync_cursors = Table(
    "sync_cursors", metadata,
    Column("account", Text, nullable=False),
    Column("marketplace", Text, nullable=False, server_default=""),
    Column("flow", Text, nullable=False),
    Column("cursor", DateTime(timezone=True), nullable=True),
    Column("token", Text, nullable=True),
    _ts("updated_at"),
    PrimaryKeyConstraint("account", "marketplace", "flow"),
)

inbox = Table(
    "inbox", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("source", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("account", Text, nullable=True),
    Column("payload", JSONB, nullable=False),
    _ts("received_at"),
    Column("state", Text, nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    _ts("processed_at", nullable=True, default=False),
    # When the buyer personal data of the payload was removed (0011; see store.personal_data).
    _ts("purged_at", nullable=True, default=False),
    UniqueConstraint("source", "key"),
    CheckConstraint("state IN ('pending', 'processed', 'failed', 'quarantined')", name="state"),
    # Workers look for pending/failed items oldest first.
    Index("ix_inbox_state_pending", "state", "id",
          postgresql_where=text("state IN ('pending', 'failed')")),
    Index("ix_inbox_received_at", "received_at", postgresql_where=text("purged_at IS NULL")),
)

external_ids = Table(
    "external_ids", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("account", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("amazon_key", Text, nullable=False),
    Column("odoo_model", Text, nullable=False),
    Column("odoo_id", BigInteger, nullable=True),
    Column("state", Text, nullable=False, server_default="claimed"),
    Column("payload_hash", Text, nullable=True),
    Column("amazon_updated_at", DateTime(timezone=True), nullable=True),
    _ts("created_at"),
    _ts("updated_at"),
    UniqueConstraint("account", "kind", "amazon_key"),
    # Reverse lookup: which Amazon object is this Odoo record?
    Index("ix_external_ids_odoo_model_odoo_id", "odoo_model", "odoo_id"),
    Index("ix_external_ids_state", "state"),
)

quarantine = Table(
    "quarantine", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("flow", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("account", Text, nullable=True),
    Column("reason", Text, nullable=False),
    Column("details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("payload", JSONB, nullable=True),
    _ts("first_seen"),
    _ts("last_seen"),
    Column("attempts", Integer, nullable=False, server_default="1"),
    _ts("resolved_at", nullable=True, default=False),
    Column("resolution", Text, nullable=True),
    _ts("purged_at", nullable=True, default=False),
    # One open item per (flow, key); resolved items stay as history.
    Index("uq_quarantine_open_flow_key", "flow", "key", unique=True,
          postgresql_where=text("resolved_at IS NULL")),
    Index("ix_quarantine_open_account", "account", postgresql_where=text("resolved_at IS NULL")),
    Index("ix_quarantine_first_seen", "first_seen", postgresql_where=text("purged_at IS NULL")),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", BigInteger, primary_key=True),
    _ts("at"),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("object_type", Text, nullable=True),
    Column("object_key", Text, nullable=True),
    Column("details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    _ts("purged_at", nullable=True, default=False),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_at_unpurged", "at", postgresql_where=text("purged_at IS NULL")),
    Index("ix_audit_log_object", "object_type", "object_key"),
)
