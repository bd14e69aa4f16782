"""Odoo's side of the FBA inventory flow, as the flow sees it (the adapter on our Odoo client is
:class:`~.adapters.OdooFbaTarget`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Protocol

from ...mapping.fba_inventory import Kind

__all__ = ["FbaStockTarget"]


class FbaStockTarget(Protocol):
    """Odoo's side: quantities in the FBA locations of one account in one network, and setting them."""

    async def quantities(self, account: str, network: str, product_ids: Sequence[int] | None
                         ) -> dict[tuple[int, Kind], Decimal]:
        """On-hand per (product, kind); ``None``: every product with stock in those locations."""

    async def set_quantities(self, account: str, network: str,
                             targets: Mapping[tuple[int, Kind], Decimal]) -> None:
        """Inventory adjustments: each (product, kind) location ends at the given quantity."""
