"""The simulator's catalog identifiers: which ASIN an EAN, UPC or GTIN names.

Amazon matches a seller's product to an existing ASIN by its identifier (the Catalog Items API's
``searchCatalogItems`` with ``identifiersType=EAN|UPC|GTIN``, and a full listing whose
``externally_assigned_product_identifier`` names a product Amazon has). Products of the world
that were created without one (the scenario generator's) get a stable EAN-13 derived from their
ASIN, so every catalog item can be found by an identifier; products created by a full listing
keep the identifier submitted. A UPC-A is the EAN-13 with a leading zero: either finds the item.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .world import Product, World

__all__ = ["CatalogIndex", "derived_ean", "normalise", "valid_gs1"]


def _check_digit(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def valid_gs1(code: str) -> bool:
    return (code.isascii() and code.isdigit() and len(code) in (8, 12, 13, 14)
            and _check_digit(code[:-1]) == code[-1])


def derived_ean(asin: str) -> str:
    """A stable EAN-13 for a product the scenario made without one (GS1 prefix 40-44: Germany)."""
    digits = str(int(hashlib.sha256(asin.encode()).hexdigest(), 16))[:10]
    body = "42" + digits
    return body + _check_digit(body)


def normalise(code: str) -> str:
    """The form identifiers are indexed under: UPC-A as EAN-13, GTIN-14 with a leading 0 as
    EAN-13, others as given."""
    code = code.strip()
    if len(code) == 12:
        return "0" + code
    if len(code) == 14 and code.startswith("0"):
        return code[1:]
    return code


class CatalogIndex:
    """Identifier → ASIN over a world's products (rebuilt when products are added)."""

    def __init__(self, world: World) -> None:
        self.world = world
        #: identifiers given explicitly (full listings): ASIN → (type, code)
        self.assigned: dict[str, tuple[str, str]] = {}
        self._index: dict[str, str] = {}
        self._indexed = -1

    def assign(self, asin: str, id_type: str, code: str) -> None:
        self.assigned[asin] = (id_type.upper(), code.strip())
        self._indexed = -1

    def identifier(self, product: Product) -> tuple[str, str]:
        """(type, code) of a product: the one assigned, else the derived EAN."""
        return self.assigned.get(product.asin) or ("EAN", derived_ean(product.asin))

    def _refresh(self) -> None:
        if self._indexed == len(self.world.products):
            return
        index: dict[str, str] = {}
        for asin, product in self.world.products.items():
            index[normalise(self.identifier(product)[1])] = asin
        self._index = index
        self._indexed = len(self.world.products)

    def find(self, code: str) -> str | None:
        self._refresh()
        return self._index.get(normalise(code))

    def item_json(self, product: Product, marketplace_ids: list[str], included: set[str]) -> dict[str, Any]:
        """A Catalog Items 2022-04-01 ``Item``."""
        item: dict[str, Any] = {"asin": product.asin}
        id_type, code = self.identifier(product)
        if "identifiers" in included:
            item["identifiers"] = [{"marketplaceId": m, "identifiers": [
                {"identifierType": id_type, "identifier": code}]} for m in marketplace_ids]
        if "summaries" in included:
            summaries = []
            for m in marketplace_ids:
                summary: dict[str, Any] = {"marketplaceId": m, "brand": product.brand,
                                           "itemName": product.title}
                for name, value in product.variation:
                    if name in ("color", "size"):
                        summary[name] = value
                summaries.append(summary)
            item["summaries"] = summaries
        if "productTypes" in included:
            item["productTypes"] = [{"marketplaceId": m, "productType": product.product_type}
                                    for m in marketplace_ids]
        if "relationships" in included:
            rels: list[dict[str, Any]] = []
            if product.is_parent:
                children = [p.asin for p in self.world.products.values() if p.parent_asin == product.asin]
                rels.append({"type": "VARIATION", "childAsins": children,
                             "variationTheme": _theme(product)})
            elif product.parent_asin:
                rels.append({"type": "VARIATION", "parentAsins": [product.parent_asin],
                             "variationTheme": _theme(product)})
            item["relationships"] = [{"marketplaceId": m, "relationships": rels} for m in marketplace_ids]
        return item


def _theme(product: Product) -> dict[str, Any]:
    # The generator names themes "SizeColor", listings "SIZE/COLOR": both mean size and color.
    raw = (product.variation_theme or "").replace("Color", "/Color").replace("COLOR", "/COLOR")
    attributes = [a.strip().lower() for a in raw.split("/") if a.strip()]
    return {"attributes": attributes, "theme": "/".join(attributes).upper()}
