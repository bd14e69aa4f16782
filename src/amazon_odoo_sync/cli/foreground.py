"""What every command that works Amazon or Odoo in the foreground shares: the jobs' retry rules,
a progress bar that says when it waits, and one paragraph when it fails for good.

``sync ...`` commands build a :class:`~amazon_odoo_sync.flows.retrying.ForegroundRetry` with
:func:`foreground_retry`, give it to their runtime (each SP-API call retried) and run their
operation through it; :func:`progress_bar` shows every wait for quota, back-off or a circuit on
a line of its own while it lasts; :func:`run_command` runs the command's coroutine and turns an
error the retry rules did not overcome into one paragraph and exit code 1 (a configuration error
still goes to ``cli.main``: exit 2), and Ctrl-C into one line and exit code 130.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import typer
from rich.markup import escape
from rich.progress import Progress, ProgressColumn, TaskID
from rich.text import Text

from ..clock import Clock
from ..config import Settings
from ..exceptions import (
    AuthorizationError,
    ConfigurationError,
    DataError,
    NotFoundError,
    PermanentError,
    RetryableError,
    SyncError,
)
from ..flows.retrying import ForegroundRetry
from ..waits import Wait, listening
from .common import console, err_console

__all__ = ["failure_paragraph", "foreground_retry", "progress_bar", "run_command"]

T = TypeVar("T")

#: The clock retries wait on. Tests put a FakeClock here: commands then retry without waiting.
retry_clock: Clock | None = None
#: Waits shorter than this are not worth a line (the governor paces calls by milliseconds).
SHOWN_FROM_SECONDS = 0.5


def foreground_retry(settings: Settings) -> ForegroundRetry:
    """The jobs' retry rules (``[jobs]``) for a command."""
    return ForegroundRetry.from_config(settings.jobs, clock=retry_clock)


class _WaitLine:
    """Shows the current wait as a task line of the bar; hides it when the wait ends."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task: TaskID | None = None

    def __call__(self, current: Wait | None) -> None:
        if current is None or current.seconds < SHOWN_FROM_SECONDS:
            if self.task is not None:
                self.bar.update(self.task, visible=False)
            return
        description = f"[yellow]{escape(current.describe())}[/]"
        if self.task is None:
            self.task = self.bar.add_task(description, total=None)
        else:
            self.bar.update(self.task, description=description, visible=True)


@contextlib.contextmanager
def progress_bar(*columns: str | ProgressColumn) -> Iterator[Progress]:
    """A rich progress bar on the console that also shows, while they last, waits for SP-API
    quota, back-off and open circuits ("waiting for SP-API quota (listings.searchListingsItems,
    12 s)")."""
    with Progress(*columns, console=console) as bar, listening(_WaitLine(bar)):
        yield bar


def failure_paragraph(command: str, exc: SyncError) -> str:
    """One paragraph: what failed, what the remote side said, what to do."""
    parts = [f"{command} stopped: {exc.message}."]
    if exc.remote_message and exc.remote_message not in exc.message:
        parts.append(f"{'Amazon' if exc.system == 'amazon' else (exc.system or 'The remote side').capitalize()} "
                     f"said: {exc.remote_message}.")
    if exc.request_id:
        parts.append(f"Request id {exc.request_id}.")
    if isinstance(exc, RetryableError):
        parts.append("It was retried under the rules of jobs ([jobs] retry_budget_hours, backoff_*) and still fails; "
                     "run the command again later (workers keep retrying on their own), and see "
                     "`amazon-odoo-sync status` for open circuits.")
    elif isinstance(exc, AuthorizationError):
        parts.append("Not retried: check the account's credentials and the app's roles (`amazon-odoo-sync "
                     "accounts add` with new credentials, `odoo set-key`).")
    elif isinstance(exc, DataError):
        parts.append("Not retried: the input is in quarantine with its reason (`amazon-odoo-sync status`).")
    elif isinstance(exc, NotFoundError):
        parts.append("Not retried: what was asked for does not exist.")
    else:
        parts.append("Not retried: the same request would fail the same way; change the input or the "
                     "configuration first.")
    return " ".join(parts)


def run_command(command: str, coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; a failure the retry rules did not overcome is one paragraph on
    stderr and exit code 1."""
    try:
        return asyncio.run(coroutine)
    except ConfigurationError:
        raise  # cli.main: the invocation or its configuration must change (exit 2)
    except (PermanentError, RetryableError) as exc:
        err_console.print(Text(failure_paragraph(command, exc), style="red"), highlight=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        # Ctrl-C is how a long wait for quota or a circuit ends: no traceback for it.
        err_console.print(f"{command} interrupted; what it did is kept, and running it again is safe.",
                          markup=False, highlight=False)
        raise typer.Exit(130) from None
