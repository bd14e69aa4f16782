"""Odoo ids the flows need, looked up once and cached per worker process.

Countries and states change almost never; products are cached per SKU for a short time (a SKU
mapped a minute ago must be found soon); unknown SKUs are never cached, so an order waiting for a
mapping is imported as soon as the product exists. Marketplace targets (company, warehouses,
taxes, service products) come from what ``odoo setup`` recorded.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from ..config import Settings
from ..exceptions import ConfigurationError
from ..mapping.sale_order import OdooTargets
from ..odoo.client import OdooClient
from ..store.unit import Store

__all__ = ["CachedOdooReferences"]


class CachedOdooReferences:
    """Implements ``flows.orders.ports.OdooReferences`` on an Odoo client and our product map
    (``store``: on a pool of its own in the workers, so a look-up never waits for a connection
    the jobs hold)."""

    def __init__(self, odoo: OdooClient, settings: Settings, *, targets: Mapping[str, OdooTargets],
                 store: Store | None = None, product_ttl: float = 60.0) -> None:
        self.odoo = odoo
        self.settings = settings
        self._targets = dict(targets)
        self._store = store
        self._product_ttl = product_ttl
        self._products: dict[tuple[str, str, str], tuple[int, float]] = {}
        self._countries: dict[str, int] | None = None
        self._states: dict[tuple[str, str], int] | None = None

    async def targets(self, marketplace_id: str) -> OdooTargets:
        try:
            return self._targets[marketplace_id]
        except KeyError:
            raise ConfigurationError(
                f"marketplace {marketplace_id} has no Odoo targets: run `amazon-odoo-sync odoo setup`",
                field="marketplaces") from None

    async def products(self, account: str, marketplace_id: str, skus: Iterable[str]) -> dict[str, int]:
        now = time.monotonic()
        wanted = set(skus)
        found: dict[str, int] = {}
        for sku in wanted:
            cached = self._products.get((account, marketplace_id, sku))
            if cached and cached[1] > now:
                found[sku] = cached[0]
        missing = wanted - set(found)
        if missing and self._store is not None:
            async with self._store.session() as session:
                found.update(await session.product_map.lookup(account, marketplace_id, missing))
            missing = wanted - set(found)
        if missing:
            rows = await self.odoo.search_read("product.product", [("default_code", "in", sorted(missing))],
                                               ["default_code"])
            for row in sorted(rows, key=lambda r: int(r["id"])):
                found.setdefault(str(row["default_code"]), int(row["id"]))
        for sku, product_id in found.items():
            self._products[(account, marketplace_id, sku)] = (product_id, now + self._product_ttl)
        return found

    async def countries(self) -> Mapping[str, int]:
        if self._countries is None:
            rows = await self.odoo.search_read("res.country", [], ["code"])
            self._countries = {str(r["code"]).upper(): int(r["id"]) for r in rows}
        return self._countries

    async def states(self) -> Mapping[tuple[str, str], int]:
        if self._states is None:
            rows = await self.odoo.search_read("res.country.state", [], ["code", "country_id"])
            countries = {v: k for k, v in (await self.countries()).items()}
            self._states = {}
            for row in rows:
                country = row["country_id"][0] if isinstance(row["country_id"], list) else row["country_id"]
                if country in countries:
                    self._states[(countries[country], str(row["code"]).upper())] = int(row["id"])
        return self._states

    def anonymous_name(self, marketplace_id: str) -> str | None:
        return self.settings.marketplace(marketplace_id).anonymous_customer
