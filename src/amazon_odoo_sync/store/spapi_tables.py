"""Tables of the SP-API clients' shared state (created by migration ``0003_spapi_access``).

Declared on the one shared ``MetaData`` for documentation and autogenerate checks; the hot
paths (:mod:`.rate_buckets`, :mod:`.lwa_tokens`, :mod:`.spapi_circuits`) use named SQL on psycopg directly.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    text,
)

from .base import metadata

__all__ = ["spapi_circuits", "spapi_lwa_tokens", "spapi_rate_buckets", "spapi_rate_waiters"]

#: One token bucket per (account, region, operation): the quota all workers share.
spapi_rate_buckets = Table(
    "spapi_rate_buckets", metadata,
    Column("account", Text, nullable=False),
    Column("region", Text, nullable=False),
    Column("operation", Text, nullable=False),
    Column("tokens", Float, nullable=False),
    Column("rate", Float, nullable=False),
    Column("burst", Float, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("last_throttled_at", DateTime(timezone=True)),
    Column("throttled_count", Integer, nullable=False, server_default=text("0")),
    PrimaryKeyConstraint("account", "region", "operation"),
    CheckConstraint("rate > 0 AND burst >= 1", name="positive_plan"),
)

#: Callers waiting for a token; a lower priority may not take while a higher one waits here.
spapi_rate_waiters = Table(
    "spapi_rate_waiters", metadata,
    Column("waiter_id", Uuid, primary_key=True),
    Column("account", Text, nullable=False),
    Column("region", Text, nullable=False),
    Column("operation", Text, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index(None, "account", "region", "operation"),
)

#: LWA access tokens shared by all workers (encrypted when a cipher is configured).
spapi_lwa_tokens = Table(
    "spapi_lwa_tokens", metadata,
    Column("account", Text, primary_key=True),
    Column("access_token", LargeBinary, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("refreshed_at", DateTime(timezone=True), nullable=False),
    Column("refresh_count", Integer, nullable=False, server_default=text("1")),
)

#: Circuit breaker per (account, API).
spapi_circuits = Table(
    "spapi_circuits", metadata,
    Column("account", Text, nullable=False),
    Column("api", Text, nullable=False),
    Column("state", Text, nullable=False, server_default=text("'closed'")),
    Column("failures", Integer, nullable=False, server_default=text("0")),
    Column("opened_at", DateTime(timezone=True)),
    Column("probe_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    PrimaryKeyConstraint("account", "api"),
    CheckConstraint("state IN ('closed', 'open', 'half_open')", name="state"),
)
