"""Stock: FBM offer state per SKU (computed / submitted / accepted, each with its sequence),
listings feeds we submitted and what they carried, FBA inventory snapshots.

Revision ID: 0006_stock
Revises: 0005_orders
"""

from __future__ import annotations

from alembic import op

revision = "0006_stock"
down_revision = "0005_orders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE stock_offers (
        account text NOT NULL,
        marketplace_id text NOT NULL,
        sku text NOT NULL,
        fulfillment text NOT NULL DEFAULT 'FBM' CHECK (fulfillment IN ('FBM', 'FBA')),
        odoo_product_id integer,
        computed_qty integer CHECK (computed_qty >= 0),
        computed_seq bigint NOT NULL DEFAULT 0,
        computed_at timestamptz,
        submitted_qty integer CHECK (submitted_qty >= 0),
        submitted_seq bigint,
        submitted_via text CHECK (submitted_via IN ('feed', 'patch')),
        submission_id bigint,
        submitted_at timestamptz,
        accepted_qty integer CHECK (accepted_qty >= 0),
        accepted_seq bigint,
        accepted_at timestamptz,
        rejected_seq bigint,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account, marketplace_id, sku)
    );
    -- What still has to go out: computed newer than submitted.
    CREATE INDEX ix_stock_offers_pending ON stock_offers (account, marketplace_id)
        WHERE computed_seq > COALESCE(submitted_seq, -1);

    CREATE TABLE stock_feeds (
        id bigserial PRIMARY KEY,
        account text NOT NULL,
        marketplace_id text NOT NULL,
        feed_id text,
        state text NOT NULL DEFAULT 'building'
            CHECK (state IN ('building', 'submitted', 'done', 'failed')),
        processing_status text,
        message_count integer NOT NULL,
        -- messageId -> [sku, quantity, seq]: read back when the processing report arrives.
        messages jsonb NOT NULL,
        summary jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        submitted_at timestamptz,
        finished_at timestamptz,
        CONSTRAINT uq_stock_feeds_account_feed_id UNIQUE (account, feed_id)
    );
    CREATE INDEX ix_stock_feeds_open ON stock_feeds (account, state)
        WHERE state IN ('building', 'submitted');

    -- SKUs to recompute at the next cycle (marked by the order flow in its own transaction).
    CREATE TABLE stock_dirty (
        account text NOT NULL,
        sku text NOT NULL,
        marked_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account, sku)
    );

    CREATE TABLE fba_inventory_snapshots (
        account text NOT NULL,
        marketplace_id text NOT NULL,
        sku text NOT NULL,
        quantities jsonb NOT NULL,
        source text NOT NULL CHECK (source IN ('pull', 'notification')),
        reported_at timestamptz NOT NULL DEFAULT now(),
        applied_at timestamptz,
        PRIMARY KEY (account, marketplace_id, sku)
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE fba_inventory_snapshots; DROP TABLE stock_dirty; DROP TABLE stock_feeds; "
               "DROP TABLE stock_offers;")
