"""The Odoo circuit breaker: one row per Odoo instance, shared by every worker.

``odoo_circuits`` holds the breaker state of :mod:`amazon_odoo_sync.odoo.circuit`: while it is
open, jobs that need Odoo are deferred instead of calling it. ``changed_at`` is when the state
last changed (what ``status`` and the dashboard show as "since"); ``last_error`` and
``last_error_at`` the latest outage failure, kept after the circuit closes.

Revision ID: 0013_odoo_circuit
Revises: 0012_users
"""

from __future__ import annotations

from alembic import op

revision = "0013_odoo_circuit"
down_revision = "0012_users"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE odoo_circuits (
        instance text PRIMARY KEY,
        state text NOT NULL DEFAULT 'closed' CHECK (state IN ('closed', 'open', 'half_open')),
        failures integer NOT NULL DEFAULT 0,
        opened_at timestamptz,
        probe_at timestamptz,
        changed_at timestamptz NOT NULL,
        last_error text,
        last_error_at timestamptz,
        updated_at timestamptz NOT NULL
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE odoo_circuits;")
