"""Contract: version, authentication, dispatch errors, None results, paging."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from amazon_odoo_sync.exceptions import (
    AuthorizationError,
    ConfigurationError,
    InvalidInputError,
    NotFoundError,
    RemoteRuleError,
)
from amazon_odoo_sync.odoo import OdooClient
from amazon_odoo_sync.odoo.errors import from_error_data

from .conftest import Basics, RawJsonRpc, Target
from .helpers import make_product, set_stock


async def test_version_and_authenticate(odoo: OdooClient, raw: RawJsonRpc, target: Target) -> None:
    version = await odoo.version()
    assert version.major == 18
    assert version.raw["server_serie"] == "18.0"
    assert version.raw["protocol_version"] == 1
    uid = await odoo.authenticate()
    assert isinstance(uid, int) and uid > 0
    # A wrong password is False, not an error (one attempt only: the real server has a cooldown).
    envelope = await raw.envelope("common", "login", [target.database, target.user, "wrong-password"])
    assert envelope["result"] is False


async def test_private_method_is_refused_with_access_error(odoo: OdooClient, raw: RawJsonRpc) -> None:
    uid = await odoo.authenticate()
    envelope = await raw.execute_kw(uid, "res.partner", "_compute_display_name", [[1]])
    data = envelope["error"]["data"]
    assert data["name"] == "odoo.exceptions.AccessError"
    assert "Private methods (such as _compute_display_name) cannot be called remotely." in data["message"]
    assert isinstance(from_error_data(data, operation="res.partner._compute_display_name"), AuthorizationError)
    with pytest.raises(ConfigurationError):  # the client refuses before sending
        await odoo.call("res.partner", "_compute_display_name", ids=[1])


async def test_unknown_field_model_method_and_bad_values(odoo: OdooClient, unique: Callable[[str], str]) -> None:
    with pytest.raises(InvalidInputError, match="Invalid field 'nope' on model 'res.partner'"):
        await odoo.create("res.partner", [{"name": unique("x"), "nope": 1}])
    with pytest.raises(InvalidInputError):
        await odoo.search("res.partner", [["nope", "=", 1]])
    with pytest.raises(InvalidInputError, match="Wrong value for res.partner.type: 'bogus'"):
        await odoo.create("res.partner", [{"name": unique("x"), "type": "bogus"}])
    with pytest.raises(InvalidInputError, match="Wrong value for product.template.type: 'product'"):
        await odoo.create("product.product", [{"name": unique("x"), "type": "product"}])
    with pytest.raises(InvalidInputError, match="does not match format"):
        await odoo.create("sale.order", [{"partner_id": 1, "date_order": "2024-01-02T03:04:05"}])
    with pytest.raises(RemoteRuleError, match="Object no.such doesn't exist"):
        await odoo.search("no.such", [])
    with pytest.raises(InvalidInputError, match="does not exist"):
        await odoo.call("res.partner", "no_such", ids=[1])
    with pytest.raises(InvalidInputError, match="Contacts require a name"):
        await odoo.create("res.partner", [{"email": "nameless@example.com"}])
    with pytest.raises(NotFoundError, match="Record does not exist or has been deleted"):
        await odoo.write("res.partner", [99999999], {"name": "ghost"})
    assert await odoo.read("res.partner", [99999999], ["name"]) == []


async def test_required_fields_are_enforced(odoo: OdooClient) -> None:
    with pytest.raises(InvalidInputError):
        await odoo.create("sale.order", [{"client_order_ref": "no-partner"}])
    with pytest.raises(InvalidInputError):
        await odoo.create("product.product", [{"default_code": "no-name"}])


async def test_none_result_has_no_result_key(odoo: OdooClient, raw: RawJsonRpc, basics: Basics,
                                             unique: Callable[[str], str]) -> None:
    product = await make_product(odoo, unique("NONE"))
    [quant] = await odoo.create("stock.quant", [{"product_id": product, "location_id": basics.stock_location_id,
                                                 "inventory_quantity": 3}], context={"inventory_mode": True})
    uid = await odoo.authenticate()
    envelope = await raw.execute_kw(uid, "stock.quant", "action_apply_inventory", [[quant]])
    assert "error" not in envelope
    assert "result" not in envelope
    # And through the client: None.
    quant2 = await set_stock(odoo, product, basics.stock_location_id, 4)
    assert quant2 == quant  # same keys: the quant is reused
    assert await odoo.call_method("stock.quant", "action_apply_inventory", [quant]) is None


async def test_search_read_pages_through_everything(odoo: OdooClient, unique: Callable[[str], str]) -> None:
    tag = unique("PAGE")
    ids = await odoo.create("res.partner", [{"name": f"{tag} {i:02d}", "ref": tag} for i in range(25)])
    rows = await odoo.search_read("res.partner", [["ref", "=", tag]], ["name", "ref"], chunk_size=10)
    assert [row["id"] for row in rows] == sorted(ids)
    assert {row["name"] for row in rows} == {f"{tag} {i:02d}" for i in range(25)}
    assert await odoo.search_count("res.partner", [["ref", "=", tag]]) == 25
    limited = await odoo.search("res.partner", [["ref", "=", tag]], limit=5, order="id desc")
    assert limited == sorted(ids, reverse=True)[:5]
    # Domain operators the connector uses.
    assert len(await odoo.search("res.partner", ["|", ["name", "=", f"{tag} 00"],
                                                 ["name", "=ilike", f"{tag.lower()} 01"]])) == 2
    assert len(await odoo.search("res.partner", [["ref", "=", tag], ["name", "not in", [f"{tag} 00"]]])) == 24
    assert len(await odoo.search("res.partner", [["ref", "=", tag], ["name", "=like", f"{tag} 0_"]])) == 10
