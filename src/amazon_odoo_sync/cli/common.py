"""What every command shares: the settings it runs with, the console, and error reporting."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer
from rich.console import Console

from ..config import Settings, load_settings

__all__ = ["CliState", "console", "err_console", "settings_from"]

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


def settings_from(ctx: typer.Context) -> Settings:
    """The validated settings of this invocation (ConfigurationError is reported by ``main``)."""
    state = ctx.find_root().obj
    if not isinstance(state, CliState):
        state = CliState()
        ctx.find_root().obj = state
    return state.settings()
