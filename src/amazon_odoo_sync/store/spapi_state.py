"""Everything the SP-API clients of every worker share, on one pool: rate buckets, LWA tokens,
circuits. Handed to ``SpApiClient.shared`` (which declares it as ``SharedAccessState``)."""

from __future__ import annotations

from typing import Any

from psycopg_pool import AsyncConnectionPool

from .lwa_tokens import PgLwaTokens
from .rate_buckets import PgRateBuckets
from .spapi_circuits import PgSpapiCircuits

__all__ = ["PgSpapiState"]


class PgSpapiState:
    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self.rate_buckets = PgRateBuckets(pool)
        self.lwa_tokens = PgLwaTokens(pool)
        self.circuits = PgSpapiCircuits(pool)
