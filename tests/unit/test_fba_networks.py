"""FBA fulfilment networks: the marketplace reference data, the simulator's pools, `odoo setup`'s
FBA warehouses, and which marketplace each network of an account is pulled through."""

from __future__ import annotations

import pytest

from amazon_odoo_sync.config import Settings
from amazon_odoo_sync.flows.fba_inventory import networks_of
from amazon_odoo_sync.marketplaces import MARKETPLACES, by_code
from amazon_odoo_sync.odoo.setup import ensure_odoo_setup
from amazon_odoo_sync.sandbox.spapi.world import fulfillment_network

from .test_odoo_setup import MiniOdoo, client


@pytest.mark.parametrize(("codes", "network"), [
    (("DE", "FR", "IT", "ES", "NL", "BE", "SE", "PL", "IE"), "EU"),
    (("UK",), "UK"),
    *[((code,), code) for code in ("US", "CA", "MX", "BR", "JP", "AU", "SG", "TR", "AE", "SA", "EG", "IN")],
])
def test_fba_network_of_each_marketplace(codes: tuple[str, ...], network: str) -> None:
    assert {by_code(code).fba_network for code in codes} == {network}


def test_simulator_keeps_fba_inventory_in_the_same_networks() -> None:
    assert {m.code: fulfillment_network(m.id) for m in MARKETPLACES} == {m.code: m.fba_network for m in MARKETPLACES}


def test_an_account_is_pulled_once_per_network_through_its_first_marketplace_there() -> None:
    uk, de, fr, us, ca = (by_code(c).id for c in ("UK", "DE", "FR", "US", "CA"))
    assert networks_of([uk, de, fr]) == {"UK": [uk], "EU": [de, fr]}
    assert networks_of([fr, de]) == {"EU": [fr, de]}
    assert networks_of([us, ca]) == {"US": [us], "CA": [ca]}


async def test_setup_makes_one_fba_warehouse_per_network() -> None:
    fake = MiniOdoo()
    fake.db["res.currency"].append({"id": 4, "name": "CAD", "active": True})
    settings = Settings(
        accounts=[{"name": "eu", "region": "EU", "marketplaces": ["UK", "DE", "FR"]},
                  {"name": "eu2", "region": "EU", "marketplaces": ["IT"]},
                  {"name": "na", "region": "NA", "marketplaces": ["US", "CA"]}],
        marketplaces={"IT": {"fba_warehouse": "FBA Italia"}})
    async with client(fake) as odoo:
        result = await ensure_odoo_setup(odoo, settings)
        again = await ensure_odoo_setup(odoo, settings)
    assert result.ok and again.count("created") == 0
    warehouses = {w["id"]: (w["name"], w["code"]) for w in fake.db["stock.warehouse"]}
    fba = {code: warehouses[t.fba_warehouse_id] for code, t in result.marketplaces.items() if t.fba_warehouse_id}
    assert fba.pop("IT") == ("FBA Italia", "FBAE1")  # the override; FBAEU was taken, the next code
    assert fba == {"UK": ("Amazon FBA UK", "FBAUK"), "DE": ("Amazon FBA EU", "FBAEU"),
                   "FR": ("Amazon FBA EU", "FBAEU"), "US": ("Amazon FBA US", "FBAUS"),
                   "CA": ("Amazon FBA CA", "FBACA")}
    # DE and FR (one pan-EU pool) share one warehouse record; the override is kept.
    assert result.marketplaces["DE"].fba_warehouse_id == result.marketplaces["FR"].fba_warehouse_id
