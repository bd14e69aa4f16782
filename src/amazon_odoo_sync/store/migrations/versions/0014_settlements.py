"""Settlements: what the connector did with each Amazon settlement (issue #15).

One row per (account, settlement key: settlement id or event group id). ``held``: nothing of it
is in Odoo, ``difference`` and ``reason`` say why; ``posted``: its entries (``move_ids``) are
posted in Odoo and, when it has one, its payout bank statement line (``payout_line_id``).

Revision ID: 0014_settlements
Revises: 0013_odoo_circuit
"""

from __future__ import annotations

from alembic import op

revision = "0014_settlements"
down_revision = "0013_odoo_circuit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE settlements (
        id bigserial PRIMARY KEY,
        account text NOT NULL,
        key text NOT NULL,
        state text NOT NULL CHECK (state IN ('held', 'posted')),
        currency text,
        total numeric(18, 2),
        difference numeric(18, 2),
        reason text,
        move_ids bigint[] NOT NULL DEFAULT '{}',
        payout_line_id bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        posted_at timestamptz,
        UNIQUE (account, key)
    );
    CREATE INDEX settlements_state ON settlements (account, state, updated_at);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE settlements;")
