"""The order flow's jobs as its sources and drains queue them: their specs (name, queue, locks),
held here so queueing needs no task declared in the process. ``amazon_odoo_sync.tasks``, above the
flows, binds the functions these jobs run to the same specs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...jobs.tasks import TaskSpec

__all__ = ["FETCH_NOTIFIED", "IMPORT"]


def _import_lock(kwargs: Mapping[str, Any]) -> str:
    lane = int(kwargs.get("lane") or 0)
    return f"orders.import:{kwargs['account']}" + (f":{lane}" if lane else "")


IMPORT = TaskSpec(name="orders.import", queue="orders", queueing_lock_from=_import_lock)
FETCH_NOTIFIED = TaskSpec(name="orders.fetch_notified", queue="orders", queueing_lock_from="orders.fetch:{account}")
