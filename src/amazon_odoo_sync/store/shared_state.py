"""What the stores of the clients' shared state have in common: their driver errors.

Rate buckets, LWA tokens, circuits and the Odoo concurrency limit are shared by every worker
through PostgreSQL. They are never a job's input: failing to reach them says nothing about the
job, so every driver error is retryable here (a ``TransientError``, or the ``ContentionError``
:func:`~.database.translate_driver_error` finds for a deadlock), never permanent. The clients
see only these errors of ours.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg

from ..exceptions import ContentionError, TransientError
from .database import translate_driver_error

__all__ = ["shared_state_error", "translated"]


def shared_state_error(exc: BaseException, what: str, *, operation: str | None = None,
                       account: str | None = None) -> TransientError:
    """Our error for a driver error (or an ``OSError`` of the socket) while using ``what``."""
    message = f"{what} storage failed: {type(exc).__name__}"
    if isinstance(translate_driver_error(exc), ContentionError):
        return ContentionError(message, system="store", operation=operation, account=account,
                               retry_after=0.0)
    return TransientError(message, system="store", operation=operation, account=account)


@asynccontextmanager
async def translated(what: str, *, operation: str | None = None,
                     account: str | None = None) -> AsyncIterator[None]:
    """Driver errors raised in the block leave it as :func:`shared_state_error`; ours pass."""
    try:
        yield
    except psycopg.Error as exc:
        raise shared_state_error(exc, what, operation=operation, account=account) from exc
