"""What the order import needs from outside: Odoo ids the mapping uses (implemented by
:class:`~amazon_odoo_sync.flows.odoo_refs.CachedOdooReferences`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from ...mapping.sale_order import OdooTargets

__all__ = ["OdooReferences"]


class OdooReferences(Protocol):
    """Odoo ids the mapping needs, resolved (and cached) by the implementation."""

    async def targets(self, marketplace_id: str) -> OdooTargets: ...

    async def products(self, account: str, marketplace_id: str, skus: Iterable[str]) -> dict[str, int]: ...

    async def countries(self) -> Mapping[str, int]: ...

    async def states(self) -> Mapping[tuple[str, str], int]: ...

    def anonymous_name(self, marketplace_id: str) -> str | None: ...
