"""Command: ``status``: queue depth per queue and state, oldest waiting job, the Odoo circuit,
SP-API quota and circuits."""

from __future__ import annotations

import asyncio
from typing import Any

import typer
from rich.table import Table

from ..store.dashboard import PgDashboard
from ..store.database import database_url
from ..store.odoo_circuit import OdooCircuitRow
from ..store.pool import open_pool
from .common import console, settings_from

__all__ = ["register"]


def _age(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def _dict_table(title: str, rows: list[dict[str, Any]]) -> Table | str:
    if not rows:
        return f"{title}: none."
    table = Table(*rows[0].keys(), title=title)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    return table


def _odoo_lines(rows: list[OdooCircuitRow]) -> list[str]:
    """One line per Odoo instance; an Odoo never unreachable has no row: closed."""
    if not rows:
        return ["Odoo circuit: closed (no outage seen)."]
    lines = []
    for row in rows:
        since = row.since.strftime("%Y-%m-%d %H:%M:%S UTC")
        state = {"open": "OPEN: Odoo unreachable, jobs needing it wait",
                 "half_open": "HALF-OPEN: probing whether Odoo is back"}.get(row.state, "closed")
        line = f"Odoo circuit {row.instance}: {state} since {since}"
        if row.last_error:
            when = row.last_error_at.strftime("%Y-%m-%d %H:%M:%S UTC") if row.last_error_at else ""
            line += f"; last error ({when}): {row.last_error}"
        lines.append(line)
    return lines


def status(ctx: typer.Context) -> None:
    """Queue depth by queue and state, oldest waiting job, Odoo circuit, SP-API quota and circuits."""
    from ..exceptions import SyncError
    from ..jobs.admin import STATES
    from ..jobs.queues import QUEUES

    async def run() -> None:
        async with open_pool(database_url(settings_from(ctx))) as pool, PgDashboard(pool).reading() as reads:
            depths = await reads.queue_depths()
            try:
                odoo_lines = _odoo_lines(await reads.odoo_circuits())
            except SyncError as exc:
                odoo_lines = [f"Odoo circuit: unavailable ({exc.message})."]
            extra: dict[str, list[dict[str, Any]] | str] = {}
            for name, reader in (("quota_rows", reads.quota_rows), ("circuit_rows", reads.spapi_circuits)):
                try:
                    extra[name] = await reader()
                except SyncError as exc:
                    extra[name] = f"unavailable ({exc.message})"
        queues = list(QUEUES) + sorted({d.queue for d in depths} - set(QUEUES))
        shown_states = [s for s in STATES if s in ("todo", "doing", "failed")
                        or any(d.state == s for d in depths)]
        table = Table("queue", *shown_states, "oldest ready", title="Jobs")
        for queue in queues:
            counts = {d.state: d for d in depths if d.queue == queue}
            oldest = counts["todo"].oldest_ready_seconds if "todo" in counts else None
            table.add_row(queue, *(str(counts[s].jobs) if s in counts else "0" for s in shown_states),
                          _age(oldest))
        console.print(table)
        for line in odoo_lines:
            console.print(line, markup=False, soft_wrap=True)
        for name, title in (("quota_rows", "SP-API quota"), ("circuit_rows", "Circuits")):
            rows = extra[name]
            if isinstance(rows, str):
                console.print(f"{title}: {rows}.")
            else:
                console.print(_dict_table(title, rows))

    asyncio.run(run())


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("status")(status)
