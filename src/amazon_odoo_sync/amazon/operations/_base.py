"""Shared plumbing for the typed operation modules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..client import SpApiClient

__all__ = ["Api", "dig"]


def dig(body: dict[str, Any], *path: str) -> str | None:
    """``body[path[0]][path[1]]...`` when every step is a dict, else None (next-token lookup)."""
    value: Any = body
    for step in path:
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value if isinstance(value, str) and value else None


class Api:
    def __init__(self, client: SpApiClient) -> None:
        self._client = client
