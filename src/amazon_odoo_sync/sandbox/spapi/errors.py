"""Amazon's error shapes: SP-API ``{"errors": [{code, message, details}]}`` and LWA's OAuth body.

Routes raise :class:`SpApiError` (or the helpers below); the app turns it into Amazon's JSON
with the right status. ``invalid_input`` names the parameter at fault, as Amazon's messages do.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

__all__ = [
    "EngineError",
    "SpApiError",
    "access_denied",
    "error_body",
    "internal_failure",
    "invalid_input",
    "json_response",
    "not_found",
    "quota_exceeded",
    "service_unavailable",
]


def error_body(code: str, message: str, details: str = "") -> dict[str, Any]:
    """SP-API's ``ErrorList``."""
    return {"errors": [{"code": code, "message": message, "details": details}]}


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON response without FastAPI's encoder (we serialise plain dicts ourselves: faster)."""
    return Response(content=json.dumps(body, separators=(",", ":")), status_code=status,
                    headers=headers, media_type="application/json")


class SpApiError(Exception):
    """An SP-API error response. ``headers`` are added to the response (e.g. ``Retry-After``)."""

    def __init__(self, status: int, code: str, message: str, details: str = "", *,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details)


class EngineError(Exception):
    """A request an engine (feeds, reports, FBA inventory) refused; ``status`` and ``code`` as
    Amazon returns them, ``body`` without ``details`` (those models' ``Error`` shape)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict[str, Any]:
        return {"errors": [{"code": self.code, "message": self.message}]}


def invalid_input(parameter: str, problem: str) -> SpApiError:
    """400 InvalidInput whose message starts with the parameter's name."""
    return SpApiError(400, "InvalidInput", f"Invalid Input: {parameter} {problem}".rstrip(),
                      parameter)


def not_found(message: str) -> SpApiError:
    return SpApiError(404, "NotFound", message)


def access_denied(details: str) -> SpApiError:
    """403 as SP-API gives it for a missing, invalid or expired access token."""
    return SpApiError(403, "Unauthorized", "Access to requested resource is denied.", details)


def quota_exceeded() -> SpApiError:
    return SpApiError(429, "QuotaExceeded", "You exceeded your quota for the requested resource.")


def internal_failure() -> SpApiError:
    return SpApiError(500, "InternalFailure", "We encountered an internal error. Please try again.")


def service_unavailable() -> SpApiError:
    return SpApiError(503, "ServiceUnavailable", "Service temporarily unavailable. Please try again.")
