"""Shipments: one row per FBM delivery confirmed (or to confirm) to Amazon.

Revision ID: 0007_shipments
Revises: 0006_stock
"""

from __future__ import annotations

from alembic import op

revision = "0007_shipments"
down_revision = "0006_stock"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The row is the outbox of one confirmShipment call: stored (with the exact body) before the
    # call, so a retry after a crash re-sends the same package and never a second one.
    op.execute("""
    CREATE TABLE shipment_confirmations (
        id bigserial PRIMARY KEY,
        account text NOT NULL,
        picking_id integer NOT NULL,
        picking_name text,
        sale_order_id integer,
        amazon_order_id text NOT NULL,
        marketplace_id text,
        state text NOT NULL CHECK (state IN
            ('waiting_tracking', 'pending', 'confirmed', 'rejected', 'invalid', 'skipped')),
        body jsonb,
        items jsonb NOT NULL DEFAULT '[]'::jsonb,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        error_kind text,
        next_attempt_at timestamptz,
        request_id text,
        first_seen timestamptz NOT NULL DEFAULT now(),
        tracking_reported_at timestamptz,
        confirmed_at timestamptz,
        odoo_noted boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_shipment_confirmations_account_picking UNIQUE (account, picking_id)
    );
    CREATE INDEX ix_shipment_confirmations_open ON shipment_confirmations (account, state, id)
        WHERE state IN ('waiting_tracking', 'pending');
    CREATE INDEX ix_shipment_confirmations_order ON shipment_confirmations (account, amazon_order_id);
    CREATE INDEX ix_shipment_confirmations_unnoted ON shipment_confirmations (account, id)
        WHERE state = 'confirmed' AND NOT odoo_noted;
    """)


def downgrade() -> None:
    op.execute("DROP TABLE shipment_confirmations;")
