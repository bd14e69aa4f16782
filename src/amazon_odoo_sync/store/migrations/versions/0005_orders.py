"""Orders: SKU → product map, units reserved by Amazon orders not yet in Odoo.

Revision ID: 0005_orders
Revises: 0004_odoo_capacity
"""

from __future__ import annotations

from alembic import op

revision = "0005_orders"
down_revision = "0004_odoo_capacity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE product_map (
        id bigserial PRIMARY KEY,
        account text NOT NULL,
        marketplace_id text NOT NULL DEFAULT '',
        sku text NOT NULL,
        asin text,
        fulfillment text NOT NULL DEFAULT 'FBM' CHECK (fulfillment IN ('FBM', 'FBA')),
        odoo_product_id integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_product_map_account_marketplace_sku UNIQUE (account, marketplace_id, sku)
    );
    CREATE INDEX ix_product_map_product ON product_map (odoo_product_id);

    CREATE TABLE order_reservations (
        account text NOT NULL,
        amazon_order_id text NOT NULL,
        sku text NOT NULL,
        marketplace_id text NOT NULL,
        quantity integer NOT NULL CHECK (quantity >= 0),
        amazon_status text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account, amazon_order_id, sku)
    );
    CREATE INDEX ix_order_reservations_sku ON order_reservations (account, marketplace_id, sku);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE order_reservations; DROP TABLE product_map;")
