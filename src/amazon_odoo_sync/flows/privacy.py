"""Buyer personal data leaves our database once its retention is over.

Amazon's Data Protection Policy: personal data no longer than 30 days after the order's
delivery. Every day (``[schedules] privacy_purge``) the rows that keep Amazon documents and
were last of use more than ``[schedules] pii_retention_days`` ago lose their personal fields
(``mapping.personal_data``), table by table, in batches of one statement each; each run that
removed something is audited with the count per table (never the data). ``amazon-odoo-sync
privacy purge [--dry-run]`` runs the same now.

What the connector keeps after that (ids, amounts, SKUs, dates, marketplace, city/postal code/
country) is what replays and reconciliations need; a purged order document still imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..clock import utcnow
from ..logs import get_logger
from ..mapping.personal_data import PERSONAL_KEYS
from ..store.personal_data import TABLE_NAMES
from ..store.unit import Store

__all__ = ["BATCH", "PurgeResult", "purge_personal_data"]

_log = get_logger(__name__)

#: Rows per statement: short transactions next to the workers' imports.
BATCH = 500
ACTOR = "flow:privacy"


@dataclass(kw_only=True)
class PurgeResult:
    cutoff: datetime
    dry_run: bool = False
    #: Table → rows redacted (or, in a dry run, due).
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


async def purge_personal_data(store: Store, *, retention_days: int, now: datetime | None = None,
                              dry_run: bool = False, batch: int = BATCH, actor: str = ACTOR) -> PurgeResult:
    """Redact every due row of every table keeping Amazon documents. Each batch is a transaction
    of its own, so a long first run never holds locks for long."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    result = PurgeResult(cutoff=cutoff, dry_run=dry_run)
    for table in TABLE_NAMES:
        if dry_run:
            async with store.session() as session:
                result.rows[table] = await session.personal_data.count_due(table, cutoff)
            continue
        done = 0
        while True:
            async with store.transaction() as tx:
                count = await tx.personal_data.purge_batch(table, cutoff, PERSONAL_KEYS, limit=batch)
            done += count
            if count < batch:
                break
        result.rows[table] = done
    if result.total and not dry_run:
        async with store.transaction() as tx:
            await tx.audit.record(actor=actor, action="privacy.purge", object_type="personal_data",
                                  details={"retention_days": retention_days, "cutoff": cutoff, "rows": result.rows})
    _log.info("privacy.purged", dry_run=dry_run, retention_days=retention_days, **result.rows)
    return result
