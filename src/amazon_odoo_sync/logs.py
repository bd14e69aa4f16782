"""Structured logging (structlog): JSON lines carrying job id, account, flow and object keys.

Every line a process writes is one JSON object, ours and the libraries' alike: records of the
standard library's ``logging`` (procrastinate, psycopg, uvicorn, asyncio, ``warnings``) go
through the same processors as structlog's, and a traceback travels inside its line as the
``exception`` field. Log collectors read one event per line; a traceback printed as plain text
becomes dozens of unreadable events (344 lines in one Prime Day run).

Secrets never reach a log line: values of keys that look secret are masked here, as a last line
of defence behind the rule that secrets are never passed to the logger at all.
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO, cast

import structlog

__all__ = ["bind", "configure_logging", "get_logger"]

_SECRET_KEYS = ("secret", "password", "refresh_token", "access_token", "api_key", "authorization",
                "client_secret", "fernet")
#: Our handler on the root logger (replaced, not added, when logging is configured again).
_HANDLER_NAME = "amazon-odoo-sync"


def _mask_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if any(hint in key.lower() for hint in _SECRET_KEYS):
            event[key] = "***"
    return event


def _drop_color_message(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    # uvicorn adds the message again with terminal colour codes: noise in a JSON line.
    event.pop("color_message", None)
    return event


class _CurrentStderr(io.TextIOBase):
    """Whatever ``sys.stderr`` is when a line is written, not when logging was configured: a
    test runner's capture (or any code) may replace and close the stream in between."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


def configure_logging(level: str = "info", fmt: str = "json", *, stream: TextIO | None = None) -> None:
    """Log at ``level`` and above to ``stream`` (default: the current stderr), as JSON lines or
    for a console."""
    stream = stream if stream is not None else cast(TextIO, _CurrentStderr())
    numeric = getattr(logging, level.upper(), logging.INFO)
    renderer: Any = (structlog.processors.JSONRenderer() if fmt == "json"
                     else structlog.dev.ConsoleRenderer(colors=stream.isatty()))
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # Console output keeps the renderer's readable traceback; JSON gets it as a string field.
    finish: list[Any] = [_mask_secrets] + ([structlog.processors.format_exc_info] if fmt == "json" else [])
    structlog.configure(
        processors=[*shared, *finish, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name, structlog.stdlib.ExtraAdder(),
                           _drop_color_message],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *finish, renderer]))
    root = logging.getLogger()
    # Replace ours and plain stream handlers (logging.basicConfig's, a library's): each would
    # print its own plain-text lines next to ours. Other kinds (a test runner's capture) stay.
    for old in list(root.handlers):
        if old.get_name() == _HANDLER_NAME or type(old) is logging.StreamHandler:
            root.removeHandler(old)
    root.addHandler(handler)
    # Libraries' chatter below WARNING only when we log at debug.
    root.setLevel(numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING))
    logging.captureWarnings(True)


def get_logger(name: str | None = None, **initial: Any) -> Any:
    logger = structlog.get_logger(name) if name else structlog.get_logger()
    return logger.bind(**initial) if initial else logger


def bind(**fields: Any) -> Any:
    """Bind fields (job_id, account, flow, amazon_order_id...) to every log line in this context."""
    return structlog.contextvars.bound_contextvars(**fields)
