"""Personal data purge: ``purged_at`` on the tables that keep Amazon documents, and two helpers.

* ``purged_at`` on ``inbox``, ``quarantine`` and ``audit_log``: when the row's buyer personal
  data was removed (NULL: not yet). The purge only looks at NULL rows, through a partial index
  on the row's first timestamp, so a daily run reads only what became due since the last one.
* ``aos_strip_keys(doc, keys)``: ``doc`` without any of ``keys``, at any depth (jsonb numbers and
  order stay exactly as stored, which a round trip through Python floats would not promise).
* ``aos_delivery_time(doc)``: the latest delivery time an order document announces (v2026
  ``fulfillment.deliverByWindow.latestDateTime``, v0 ``LatestDeliveryDate``), NULL when it has
  none or it is not a timestamp (a malformed document must not stop the purge).

Revision ID: 0011_personal_data
Revises: 0010_fba_drift
"""

from __future__ import annotations

from alembic import op

revision = "0011_personal_data"
down_revision = "0010_fba_drift"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    ALTER TABLE inbox ADD COLUMN purged_at timestamptz;
    ALTER TABLE quarantine ADD COLUMN purged_at timestamptz;
    ALTER TABLE audit_log ADD COLUMN purged_at timestamptz;
    CREATE INDEX ix_inbox_received_at ON inbox (received_at) WHERE purged_at IS NULL;
    CREATE INDEX ix_quarantine_first_seen ON quarantine (first_seen) WHERE purged_at IS NULL;
    CREATE INDEX ix_audit_log_at_unpurged ON audit_log (at) WHERE purged_at IS NULL;

    CREATE FUNCTION aos_strip_keys(doc jsonb, keys text[]) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    BEGIN
        IF jsonb_typeof(doc) = 'object' THEN
            RETURN COALESCE((SELECT jsonb_object_agg(e.key, aos_strip_keys(e.value, keys))
                             FROM jsonb_each(doc) AS e WHERE NOT e.key = ANY(keys)), '{}'::jsonb);
        ELSIF jsonb_typeof(doc) = 'array' THEN
            RETURN COALESCE((SELECT jsonb_agg(aos_strip_keys(a.value, keys) ORDER BY a.n)
                             FROM jsonb_array_elements(doc) WITH ORDINALITY AS a(value, n)), '[]'::jsonb);
        END IF;
        RETURN doc;
    END $$;

    CREATE FUNCTION aos_delivery_time(doc jsonb) RETURNS timestamptz
    LANGUAGE plpgsql STABLE AS $$
    BEGIN
        IF jsonb_typeof(doc) <> 'object' THEN
            RETURN NULL;
        END IF;
        RETURN COALESCE(doc #>> '{fulfillment,deliverByWindow,latestDateTime}',
                        doc ->> 'LatestDeliveryDate')::timestamptz;
    EXCEPTION WHEN others THEN
        RETURN NULL;
    END $$;
    """)


def downgrade() -> None:
    op.execute("""
    DROP FUNCTION aos_delivery_time(jsonb);
    DROP FUNCTION aos_strip_keys(jsonb, text[]);
    ALTER TABLE audit_log DROP COLUMN purged_at;
    ALTER TABLE quarantine DROP COLUMN purged_at;
    ALTER TABLE inbox DROP COLUMN purged_at;
    """)
