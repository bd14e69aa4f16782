"""Commands: ``worker`` and ``jobs list|failed|retry|cancel``.

``jobs failed`` is the dead-letter list: failed jobs with the cause of their last failure.
``jobs retry`` replays them (fresh attempts) and writes an audit line per job.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ..jobs.queues import QUEUES
from ..logs import configure_logging, get_logger
from ..store import audit
from ..store.database import database_url
from ..store.job_admin import PgJobAdmin
from ..store.pool import open_pool
from .common import console, err_console, settings_from, settings_with_accounts

__all__ = ["register"]

jobs_app = typer.Typer(help="Look at and replay jobs.", no_args_is_help=True)


def _queues(value: str | None) -> list[str] | None:
    if not value:
        return None
    names = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [name for name in names if name not in QUEUES]
    if unknown:
        raise typer.BadParameter(f"unknown queue(s) {', '.join(unknown)}; "
                                 f"expected some of {', '.join(QUEUES)}")
    return names


def _state(value: str) -> str:
    from ..jobs.admin import STATES

    if value not in STATES:
        raise typer.BadParameter(f"unknown state {value!r}; expected one of {', '.join(STATES)}")
    return value


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _short(value: Any, width: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def worker(
    ctx: typer.Context,
    queues: Annotated[str | None, typer.Option(
        "--queues", "-q", help=f"Comma-separated queues (default: all: {','.join(QUEUES)}).")] = None,
    concurrency: Annotated[int | None, typer.Option(
        "--concurrency", "-n", min=1, help="Jobs run at once (default: [jobs] concurrency).")] = None,
    wait: Annotated[bool, typer.Option(
        "--wait/--no-wait", help="Keep waiting for jobs, or stop once none is ready.")] = True,
    name: Annotated[str | None, typer.Option(help="Worker name, in the logs.")] = None,
    metrics_port: Annotated[int | None, typer.Option(
        min=1, max=65535, help="Serve this worker's Prometheus metrics on this port (for workers on "
        "another machine than `serve`; on the same one, share PROMETHEUS_MULTIPROC_DIR).")] = None,
    metrics_host: Annotated[str, typer.Option(help="Address for --metrics-port.")] = "127.0.0.1",
) -> None:
    """Run jobs, highest priority first (stock > shipments > orders > reports > housekeeping)."""
    from ..jobs.worker import run_worker
    from ..metrics import prepare_process
    from ..tasks import build_worker_app

    queue_list = _queues(queues)
    settings = settings_from(ctx)
    # One JSON line per event, procrastinate's (standard library logging) included.
    configure_logging(settings.log_level, settings.log_format)
    prepare_process()
    if metrics_port is not None:
        from prometheus_client import start_http_server

        try:
            start_http_server(metrics_port, addr=metrics_host)
        except OSError as exc:
            err_console.print(f"--metrics-port {metrics_port}: cannot listen on {metrics_host}: {exc.strerror}")
            raise SystemExit(1) from None
    # The accounts stored in the database, read once: restart workers after `accounts add`.
    settings = settings_with_accounts(ctx)
    if settings.accounts:
        get_logger(__name__).info("worker accounts", accounts=[a.name for a in settings.accounts])
    else:
        get_logger(__name__).warning(
            "no seller account stored: no account is polled; run `amazon-odoo-sync accounts add` or "
            "`accounts import`, then restart the workers")
    app = build_worker_app(settings)
    asyncio.run(run_worker(app, settings, queues=queue_list, concurrency=concurrency,
                           wait=wait, name=name))


@jobs_app.command("list")
def list_command(
    ctx: typer.Context,
    queue: Annotated[str | None, typer.Option(help="Only this queue.")] = None,
    state: Annotated[str | None, typer.Option(
        parser=_state, help="todo, doing, succeeded, failed, cancelled or aborted.")] = None,
    task: Annotated[str | None, typer.Option(help="Only this task.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many jobs.")] = 50,
) -> None:
    """Recent jobs, newest first."""
    from ..jobs.admin import list_jobs

    async def run() -> None:
        async with open_pool(database_url(settings_from(ctx))) as pool:
            rows = await list_jobs(PgJobAdmin(pool), queue=queue, state=state, task=task, limit=limit)
        table = Table("id", "queue", "state", "prio", "runs", "updated", box=None)
        table.add_column("task / args", overflow="fold")
        for row in rows:
            table.add_row(str(row.id), row.queue, row.state, str(row.priority), str(row.attempts),
                          _when(row.updated_at), f"{row.task} {_short(row.args, 60)}")
        console.print(table if rows else "No jobs.")

    asyncio.run(run())


@jobs_app.command("failed")
def failed_command(
    ctx: typer.Context,
    queue: Annotated[str | None, typer.Option(help="Only this queue.")] = None,
    task: Annotated[str | None, typer.Option(help="Only this task.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many jobs.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Failed jobs (dead letters) with the cause of their last failure."""
    from ..jobs.admin import failed_jobs

    async def run() -> None:
        async with open_pool(database_url(settings_from(ctx))) as pool:
            rows = await failed_jobs(PgJobAdmin(pool), queue=queue, task=task, limit=limit)
        if as_json:
            for row in rows:
                console.print_json(json.dumps({
                    "id": row.job.id, "queue": row.job.queue, "task": row.job.task,
                    "args": row.job.args, "attempts": row.job.attempts,
                    "error": row.error_type, "message": row.message, "context": row.context,
                    "failed_at": row.failed_at}, default=str))
            return
        if not rows:
            console.print("No failed jobs.")
            return
        # One block per job, not a table: the cause is the point, and it needs the width.
        for row in rows:
            job = row.job
            console.print(f"[bold]#{job.id}[/] {job.queue} {job.task} "
                          f"(runs: {job.attempts}, failed {_when(row.failed_at)})", highlight=False)
            console.print(f"  [red]{row.error_type or 'unknown error'}[/]: "
                          f"{escape(row.message or '')}", highlight=False)
            context = {k: v for k, v in row.context.items()
                       if k not in ("error", "message", "retryable")}
            if context:
                console.print(f"  context: {_short(context, 300)}", highlight=False, markup=False)
            console.print(f"  args: {_short(job.args, 300)}", highlight=False, markup=False)
        console.print(f"{len(rows)} failed job(s). Replay with `amazon-odoo-sync jobs retry ID` "
                      "(or --task, --queue, --all) once the cause is fixed.")

    asyncio.run(run())


@jobs_app.command("retry")
def retry_command(
    ctx: typer.Context,
    job_id: Annotated[int | None, typer.Argument(help="Failed job to replay.")] = None,
    task: Annotated[str | None, typer.Option(help="Every failed job of this task.")] = None,
    queue: Annotated[str | None, typer.Option(help="Every failed job of this queue.")] = None,
    all_failed: Annotated[bool, typer.Option("--all", help="Every failed job.")] = False,
) -> None:
    """Put failed jobs back in their queue (audited)."""
    from ..jobs.admin import retry_failed_jobs

    if job_id is None and task is None and queue is None and not all_failed:
        raise typer.BadParameter("give a job id, --task, --queue or --all")

    async def run() -> int:
        async with open_pool(database_url(settings_from(ctx))) as pool:
            outcome = await retry_failed_jobs(PgJobAdmin(pool), actor=audit.cli_actor(), job_id=job_id,
                                              task=task, queue=queue, all_failed=all_failed)
        for skipped_id, reason in outcome.skipped:
            err_console.print(f"job {skipped_id}: not retried: {reason}")
        ids = ", ".join(str(i) for i in outcome.retried)
        console.print(f"Retried {len(outcome.retried)} job(s){': ' + ids if ids else ''}.")
        return 0 if outcome.retried or not outcome.skipped else 1

    code = asyncio.run(run())
    if code:
        raise SystemExit(code)


@jobs_app.command("cancel")
def cancel_command(
    ctx: typer.Context,
    job_id: Annotated[int, typer.Argument(help="Job to cancel.")],
) -> None:
    """Cancel a waiting job, or ask a running one to stop (audited)."""
    from ..jobs.admin import cancel_job

    async def run() -> str:
        async with open_pool(database_url(settings_from(ctx))) as pool:
            return await cancel_job(PgJobAdmin(pool), job_id, actor=audit.cli_actor())

    outcome = asyncio.run(run())
    messages = {"cancelled": f"Job {job_id} cancelled.",
                "abort requested": f"Job {job_id} is running; asked it to stop.",
                "not found": f"No job {job_id}.",
                "finished": f"Job {job_id} has already finished; nothing to cancel."}
    (console if outcome in ("cancelled", "abort requested") else err_console).print(messages[outcome])
    if outcome in ("not found", "finished"):
        raise SystemExit(1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("worker")(worker)
    app.add_typer(jobs_app, name="jobs")
