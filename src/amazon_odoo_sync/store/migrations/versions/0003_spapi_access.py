"""SP-API access: rate buckets, LWA token cache, circuit breakers.

Revision ID: 0003_spapi_access
Revises: 0002_jobs
"""

from __future__ import annotations

revision = "0003_spapi_access"
down_revision = "0002_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the owner of this revision


def downgrade() -> None:
    pass
