"""What every command shares: the settings it runs with, the console, and argument parsers.

Parsers (``typer.Option(parser=...)``) check values while the command line is read, so a bad
value is a usage error (exit 2) before anything is started: :func:`iso_datetime`,
:func:`marketplace`. How failures are printed and which exit code they give is decided once, in
``cli.main``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console

from ..amazon.marketplaces import Marketplace, by_code, by_id
from ..config import Settings, load_settings

__all__ = ["CliState", "console", "err_console", "iso_datetime", "marketplace", "settings_from"]

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    config_path: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings


def _state(ctx: typer.Context) -> CliState:
    state = ctx.find_root().obj
    if not isinstance(state, CliState):
        state = CliState()
        ctx.find_root().obj = state
    return state


def settings_from(ctx: typer.Context) -> Settings:
    """The validated settings of this invocation (ConfigurationError is reported by ``main``)."""
    return _state(ctx).settings()


def iso_datetime(value: str) -> datetime:
    """``--since 2026-11-01`` (or with a time; UTC unless an offset is given)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO date like 2026-11-01 or 2026-11-01T12:00"
                                 ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def marketplace(value: str) -> Marketplace:
    """``--marketplace DE`` or an Amazon marketplace id."""
    try:
        return by_id(value) if len(value) > 3 else by_code(value)
    except KeyError as exc:
        raise typer.BadParameter(f"{exc.args[0]}; expected a code like DE or an id like "
                                 "A1PA6795UKMFR9") from None
