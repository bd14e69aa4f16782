"""The one exception hierarchy of amazon-odoo-sync.

Branches say what the caller can do, not where the error came from::

    SyncError                          root: every error our code raises on purpose
    ├── RetryableError                 try again later; ``retry_after`` (seconds) when known
    │   ├── ThrottledError             HTTP 429 / quota exhausted (Amazon or our own governor)
    │   ├── TransientError             network errors, timeouts, HTTP 5xx, PostgreSQL away
    │   │   ├── OdooBusyError          Odoo serialization/lock failure, 502/503/504, overload
    │   │   └── ContentionError        our store: deadlock or serialization victim, lock not free
    │   └── CircuitOpenError           our circuit breaker refuses calls until ``retry_after``
    └── PermanentError                 retrying the same input gives the same failure
        ├── ConfigurationError         bad or missing configuration (``source``, ``field``)
        ├── AuthorizationError         credentials refused (LWA 401, SP-API 403 after one refresh,
        │                              Odoo AccessDenied/AccessError)
        ├── InvalidInputError          the remote side rejected our request (400 InvalidInput,
        │                              Odoo ValidationError/ValueError)
        ├── NotFoundError              the remote object does not exist (404, Odoo MissingError)
        ├── ConflictError              our store: the row exists already (a unique key)
        ├── RemoteRuleError            a business rule of the remote system (Odoo UserError,
        │                              Amazon "order already shipped")
        └── DataError                  an input we cannot map (unknown SKU, malformed document):
                                       goes to quarantine, retried when its cause is fixed

Foreign exceptions (httpx, psycopg, procrastinate) are translated once, where they enter our
code, and chained with ``raise ... from exc``. No httpx or psycopg exception leaves a client.

Context travels as attributes so logs and the quarantine can show it without parsing text:
``system`` ("amazon", "odoo", "lwa", "store"), ``operation``, ``account``, ``status_code``,
``request_id``, ``remote_message``. Secrets never go into messages or attributes.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthorizationError",
    "CircuitOpenError",
    "ConfigurationError",
    "ConflictError",
    "ContentionError",
    "DataError",
    "InvalidInputError",
    "NotFoundError",
    "OdooBusyError",
    "PermanentError",
    "RemoteRuleError",
    "RetryableError",
    "SyncError",
    "ThrottledError",
    "TransientError",
    "WorkerStopping",
    "is_retryable",
]


class SyncError(Exception):
    """Root of every error amazon-odoo-sync raises on purpose."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        system: str | None = None,
        operation: str | None = None,
        account: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        remote_message: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.system = system
        self.operation = operation
        self.account = account
        self.status_code = status_code
        self.request_id = request_id
        self.remote_message = remote_message
        self.details = details or {}

    def context(self) -> dict[str, Any]:
        """Structured fields for logs, job results and quarantine records."""
        fields: dict[str, Any] = {
            "error": type(self).__name__,
            "message": self.message,
            "retryable": self.retryable,
        }
        for name in ("system", "operation", "account", "status_code", "request_id", "remote_message"):
            value = getattr(self, name)
            if value is not None:
                fields[name] = value
        if self.details:
            fields["details"] = self.details
        return fields


class RetryableError(SyncError):
    """Trying again later may succeed. ``retry_after`` is a hint in seconds, if known."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

    def context(self) -> dict[str, Any]:
        fields = super().context()
        if self.retry_after is not None:
            fields["retry_after"] = self.retry_after
        return fields


class ThrottledError(RetryableError):
    """Quota exhausted: HTTP 429 from Amazon, or our governor could not grant a token in time."""


class TransientError(RetryableError):
    """Network failure, timeout or 5xx: the same request may well succeed later."""


class OdooBusyError(TransientError):
    """Odoo is overloaded or hit a concurrency failure (serialization, lock, deadlock)."""


class ContentionError(TransientError):
    """Our store gave way to a concurrent transaction (deadlock or serialization victim, a lock
    not free): the same transaction run again normally succeeds, at once."""


class CircuitOpenError(RetryableError):
    """Our circuit breaker is open for this endpoint; calls resume after ``retry_after``."""


class WorkerStopping(RetryableError):
    """The worker was asked to stop (SIGTERM) while this job waited for quota, for Odoo or for its
    grace period to end: the job goes back to the queue as it was (attempts unchanged) and runs
    again at once on another worker. Raised only by the job runner, never by a flow."""


class PermanentError(SyncError):
    """The same request will fail the same way: fix the input, mapping or configuration."""


class ConfigurationError(PermanentError):
    """Configuration is missing or wrong. ``source`` is the file or variable, ``field`` the key."""

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.source = source
        self.field = field

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.source, self.field) if part)
        return f"{where}: {self.message}" if where else self.message


class AuthorizationError(PermanentError):
    """Credentials or permissions were refused (after one token refresh, for SP-API)."""


class InvalidInputError(PermanentError):
    """The remote system rejected the request as malformed or invalid."""


class NotFoundError(PermanentError):
    """The remote object does not exist."""


class ConflictError(PermanentError):
    """Our store refused a second row under a unique key: the thing exists already (a job
    deferred twice, an account added twice). ``constraint`` names the key when known."""

    def __init__(self, message: str, *, constraint: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.constraint = constraint


class RemoteRuleError(PermanentError):
    """A business rule of the remote system refused the operation (e.g. Odoo UserError)."""


class DataError(PermanentError):
    """An input we cannot process as it is (unknown SKU, malformed document): quarantine it."""


def is_retryable(exc: BaseException) -> bool:
    """True when ``exc`` is one of ours and says a later attempt may succeed."""
    return isinstance(exc, SyncError) and exc.retryable
