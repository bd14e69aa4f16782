"""Odoo's errors, translated once into :mod:`amazon_odoo_sync.exceptions`.

Three doors lead in: a JSON-RPC error envelope (HTTP 200, ``error.data.name`` is the exception's
``<module>.<class>``), a JSON-2 error response (4xx/5xx, body ``{name, message, arguments,
context, debug}``), and the transport itself (HTTP status, httpx exceptions). Whatever the door,
the exception class says what the caller can do:

=================================================  ==============================================
Odoo                                                ours
=================================================  ==============================================
``odoo.exceptions.UserError`` (and unknown          :class:`RemoteRuleError`
``odoo.exceptions.*``), ``RedirectWarning``
``ValidationError``, ``builtins.ValueError``,       :class:`InvalidInputError`
``TypeError``, ``KeyError``, ``AttributeError``
(unknown method)
``AccessError``, ``AccessDenied``, HTTP 401/403     :class:`AuthorizationError`
``MissingError``, HTTP 404                          :class:`NotFoundError`
serialization / lock / deadlock failures,           :class:`OdooBusyError` (retryable)
HTTP 429/502/503/504, timeouts, "time limit"
connection errors, other 5xx, garbled responses     :class:`TransientError` (retryable)
=================================================  ==============================================

Odoo's own message is kept in ``remote_message`` (the traceback in ``debug`` is dropped: it can be
long and may quote data). ``system`` is ``"odoo"``, ``operation`` is ``"model.method"``.
"""

from __future__ import annotations

from typing import Any

import httpx

from ..exceptions import (
    AuthorizationError,
    InvalidInputError,
    NotFoundError,
    OdooBusyError,
    RemoteRuleError,
    SyncError,
    TransientError,
)

__all__ = [
    "BUSY_MARKERS",
    "from_error_data",
    "from_http_status",
    "from_transport_error",
]

#: Fragments of exception names or messages that mean "Odoo is busy, try again".
BUSY_MARKERS: tuple[str, ...] = (
    "serializationfailure",
    "could not serialize access",
    "locknotavailable",
    "could not obtain lock",
    "deadlockdetected",
    "deadlock detected",
    "transactionrollbackerror",
    "concurrent update",
    "too many connections",
    "poolerror",
    "connection pool is full",
    "cpu time limit exceeded",
    "time limit exceeded",
)

_BY_CLASS: dict[str, type[SyncError]] = {
    "UserError": RemoteRuleError,
    "RedirectWarning": RemoteRuleError,
    "except_orm": RemoteRuleError,
    "Warning": RemoteRuleError,
    "ValidationError": InvalidInputError,
    "ValueError": InvalidInputError,
    "TypeError": InvalidInputError,
    "KeyError": InvalidInputError,
    "AttributeError": InvalidInputError,
    "AccessError": AuthorizationError,
    "AccessDenied": AuthorizationError,
    "MissingError": NotFoundError,
}

_MAX_MESSAGE = 2000


def _short(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "…"


def _is_busy(name: str, message: str) -> bool:
    haystack = f"{name} {message}".lower()
    return any(marker in haystack for marker in BUSY_MARKERS)


def from_error_data(
    data: Any,
    *,
    operation: str,
    status_code: int | None = None,
    fallback_message: str | None = None,
) -> SyncError:
    """Our exception for an Odoo error object (JSON-RPC ``error.data`` or a JSON-2 error body).

    ``data`` is ``{"name": "odoo.exceptions.UserError", "message": "...", ...}``; anything else
    (missing name, not a dict) falls back on ``status_code`` and ``fallback_message``.
    """
    name = ""
    message = fallback_message or ""
    if isinstance(data, dict):
        name = str(data.get("name") or "")
        if data.get("message"):
            message = str(data["message"])
        elif isinstance(data.get("arguments"), list) and data["arguments"]:
            message = "\n".join(str(arg) for arg in data["arguments"])
    message = _short(message or "Odoo Server Error")
    short_name = name.rsplit(".", 1)[-1]
    common: dict[str, Any] = {"system": "odoo", "operation": operation, "status_code": status_code,
                              "remote_message": message}
    if name:
        common["details"] = {"odoo_error": name}
    if _is_busy(name, message):
        return OdooBusyError(f"Odoo is busy ({short_name or 'concurrency failure'}): {message}",
                             **common)
    cls = _BY_CLASS.get(short_name)
    if cls is None and name.startswith("odoo.exceptions."):
        cls = RemoteRuleError
    if cls is not None:
        return cls(f"Odoo {short_name} in {operation}: {message}", **common)
    if status_code is not None and status_code != 200:
        by_status = from_http_status(status_code, operation=operation, body_message=message)
        by_status.details.update(common.get("details", {}))
        return by_status
    # An unexpected server-side exception (KeyError deep in a compute, psycopg2 errors other
    # than the retried ones...). Odoo answered, so it is not overloaded; the same call is very
    # likely to fail the same way, but it may be a transient bug; surface it as transient so it
    # is retried a bounded number of times and then lands in the failed-jobs view with the text.
    return TransientError(f"Odoo error {short_name or 'Server Error'} in {operation}: {message}",
                          **common)


def from_http_status(status_code: int, *, operation: str, body_message: str | None = None,
                     retry_after: float | None = None) -> SyncError:
    """Our exception for an HTTP error status without a usable Odoo error body."""
    message = _short(body_message or f"HTTP {status_code}")
    common: dict[str, Any] = {"system": "odoo", "operation": operation, "status_code": status_code,
                              "remote_message": message}
    if status_code in (401, 403):
        return AuthorizationError(f"Odoo refused the credentials for {operation} (HTTP {status_code})",
                                  **common)
    if status_code == 404:
        return NotFoundError(f"Odoo has no endpoint or record for {operation} (HTTP 404)", **common)
    if status_code in (429, 502, 503, 504):
        return OdooBusyError(f"Odoo is overloaded (HTTP {status_code}) in {operation}",
                             retry_after=retry_after, **common)
    if status_code >= 500:
        return TransientError(f"Odoo server error (HTTP {status_code}) in {operation}: {message}",
                              retry_after=retry_after, **common)
    if status_code == 422:
        return RemoteRuleError(f"Odoo refused {operation} (HTTP 422): {message}", **common)
    return InvalidInputError(f"Odoo rejected the request for {operation} (HTTP {status_code}): "
                             f"{message}", **common)


def from_transport_error(exc: httpx.HTTPError, *, operation: str) -> SyncError:
    """Our exception for an httpx failure (no response at all)."""
    common: dict[str, Any] = {"system": "odoo", "operation": operation}
    if isinstance(exc, httpx.TimeoutException):
        # A timeout is the clearest overload signal there is: the governor backs off on it.
        return OdooBusyError(f"Odoo did not answer {operation} in time ({type(exc).__name__})",
                             **common)
    if isinstance(exc, httpx.TransportError):
        return TransientError(f"cannot reach Odoo for {operation}: {type(exc).__name__}: {exc}",
                              **common)
    return TransientError(f"HTTP failure talking to Odoo for {operation}: {type(exc).__name__}",
                          **common)
