"""Product Type Definitions of the simulator: a few product types, their JSON Schemas in Amazon's
shape, per marketplace and requirements set.

Amazon's schemas extend JSON Schema 2019-09 (meta-schema
``https://schemas.amazon.com/selling-partners/definitions/product-types/meta-schema/v1``) with a
vocabulary of its own: ``selectors`` + ``maxUniqueItems`` (an attribute holds at most that many
distinct values per combination of its selectors, e.g. one brand per marketplace and language),
``maxUtf8ByteLength``, and the informational ``editable``, ``hidden``, ``enumNames``. Every
attribute is an array of objects carrying ``marketplace_id`` (and ``language_tag`` for text);
conditional requirements live in a root ``allOf`` of ``if``/``then``. These schemas follow that
shape so the connector's local validation meets what Amazon serves.

Product types:

* ``PRODUCT``: anything; item name, brand, product identifier (EAN/UPC/GTIN), condition.
* ``KITCHEN``: ``PRODUCT`` plus material and item weight.
* ``SHIRT``: ``PRODUCT`` plus color and size, variation families (``parentage_level``,
  ``child_parent_sku_relationship``, ``variation_theme`` among SIZE, COLOR, SIZE/COLOR): a parent
  needs neither color, size nor an offer; a child needs its parent SKU.

``LISTING_OFFER_ONLY``: condition and ``merchant_suggested_asin`` (the ASIN the offer joins).
``requirementsEnforced=NOT_ENFORCED`` drops ``required`` and the conditional requirements.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from typing import Any

from amazon_odoo_sync.marketplaces import by_id, language_tag

__all__ = [
    "META_SCHEMA_ID",
    "PRODUCT_TYPES",
    "REQUIREMENTS",
    "VARIATION_THEMES",
    "checksum",
    "product_type_schema",
]

META_SCHEMA_ID = "https://schemas.amazon.com/selling-partners/definitions/product-types/meta-schema/v1"
_SCHEMA_ID = "https://schemas.amazon.com/selling-partners/definitions/product-types/schema/v1/"
REQUIREMENTS = ("LISTING", "LISTING_PRODUCT_ONLY", "LISTING_OFFER_ONLY")
#: name → display name
PRODUCT_TYPES: dict[str, str] = {"PRODUCT": "Product", "KITCHEN": "Kitchen", "SHIRT": "Shirt"}
VARIATION_THEMES: dict[str, tuple[str, ...]] = {"SHIRT": ("SIZE", "COLOR", "SIZE/COLOR")}

_OFFER_ATTRIBUTES = ("condition_type", "merchant_suggested_asin", "purchasable_offer",
                     "fulfillment_availability")


def _selectors(text: bool) -> list[str]:
    return ["marketplace_id", "language_tag"] if text else ["marketplace_id"]


def _text(title: str, *, max_length: int, max_unique: int = 1, description: str = "") -> dict[str, Any]:
    return {
        "title": title, "description": description or title, "editable": True,
        "type": "array", "minItems": 1, "minUniqueItems": 1, "maxUniqueItems": max_unique,
        "selectors": _selectors(True),
        "items": {
            "type": "object", "required": ["language_tag", "value"], "additionalProperties": False,
            "properties": {
                "value": {"title": title, "type": "string", "minLength": 1, "maxLength": max_length,
                          "maxUtf8ByteLength": max_length * 2},
                "language_tag": {"$ref": "#/$defs/language_tag"},
                "marketplace_id": {"$ref": "#/$defs/marketplace_id"},
            },
        },
    }


def _enum(title: str, values: dict[str, str]) -> dict[str, Any]:
    return {
        "title": title, "description": title, "editable": True,
        "type": "array", "minItems": 1, "maxItems": 1, "maxUniqueItems": 1,
        "selectors": _selectors(False),
        "items": {
            "type": "object", "required": ["value"], "additionalProperties": False,
            "properties": {
                "value": {"title": title, "type": "string", "enum": list(values),
                          "enumNames": list(values.values())},
                "marketplace_id": {"$ref": "#/$defs/marketplace_id"},
            },
        },
    }


def _marketplace_defs(marketplace_id: str) -> dict[str, Any]:
    m = by_id(marketplace_id)
    tags = sorted({language_tag(marketplace_id), "en_GB" if m.region == "EU" else "en_US"})
    return {
        "marketplace_id": {"default": m.id, "editable": False, "hidden": True,
                           "examples": [m.name], "type": "string",
                           "anyOf": [{"type": "string"},
                                     {"type": "string", "enum": [m.id], "enumNames": [m.name]}]},
        "language_tag": {"default": language_tag(marketplace_id), "editable": False, "hidden": True,
                         "examples": ["English (United Kingdom)"], "type": "string",
                         "enum": tags, "enumNames": tags},
    }


def _schedule(*, dated: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "object", "required": ["value_with_tax"], "additionalProperties": False,
        "properties": {"value_with_tax": {"title": "Price", "type": "number", "minimum": 0.01,
                                          "maximum": 1_000_000}},
    }
    if dated:
        item["required"] = ["start_at", "end_at", "value_with_tax"]
        item["properties"]["start_at"] = {"title": "Start date", "type": "string",
                                          "format": "date-time"}
        item["properties"]["end_at"] = {"title": "End date", "type": "string", "format": "date-time"}
    return {"type": "array", "minItems": 1, "maxItems": 1, "items": {
        "type": "object", "required": ["schedule"], "additionalProperties": False,
        "properties": {"schedule": {"type": "array", "minItems": 1, "maxItems": 1, "items": item}}}}


def _common(marketplace_id: str) -> dict[str, Any]:
    currency = by_id(marketplace_id).currency
    return {
        "item_name": _text("Item Name", max_length=200),
        "brand": _text("Brand Name", max_length=100),
        "bullet_point": _text("Bullet Point", max_length=500, max_unique=5),
        "product_description": _text("Product Description", max_length=2000),
        "externally_assigned_product_identifier": {
            "title": "External Product ID", "description": "EAN, UPC or GTIN of the product",
            "editable": False, "type": "array", "minItems": 1, "maxItems": 1,
            "items": {
                "type": "object", "required": ["type", "value"], "additionalProperties": False,
                "properties": {
                    "type": {"title": "External Product ID Type", "type": "string",
                             "enum": ["ean", "upc", "gtin"], "enumNames": ["EAN", "UPC", "GTIN"]},
                    "value": {"title": "External Product ID", "type": "string",
                              "pattern": "^[0-9]{8,14}$"},
                    "marketplace_id": {"$ref": "#/$defs/marketplace_id"},
                },
            },
        },
        "merchant_suggested_asin": {
            "title": "Merchant Suggested ASIN", "editable": False, "type": "array",
            "minItems": 1, "maxItems": 1,
            "items": {"type": "object", "required": ["value"], "additionalProperties": False,
                      "properties": {"value": {"title": "ASIN", "type": "string",
                                               "pattern": "^[A-Z0-9]{10}$"},
                                     "marketplace_id": {"$ref": "#/$defs/marketplace_id"}}},
        },
        "condition_type": _enum("Item Condition", {
            "new_new": "New", "used_like_new": "Used - Like New", "used_very_good": "Used - Very Good",
            "used_good": "Used - Good", "used_acceptable": "Used - Acceptable",
            "refurbished_refurbished": "Refurbished"}),
        "purchasable_offer": {
            "title": "Purchasable Offer", "type": "array", "minItems": 1,
            "selectors": ["marketplace_id", "currency", "audience"], "maxUniqueItems": 1,
            "items": {
                "type": "object", "required": ["currency", "our_price"], "additionalProperties": False,
                "properties": {
                    "audience": {"title": "Audience", "type": "string", "enum": ["ALL", "B2B"],
                                 "enumNames": ["Sell on Amazon", "Amazon Business (B2B)"],
                                 "default": "ALL"},
                    "currency": {"title": "Currency", "type": "string", "enum": [currency]},
                    "marketplace_id": {"$ref": "#/$defs/marketplace_id"},
                    "our_price": {"title": "Your Price", **_schedule(dated=False)},
                    "discounted_price": {"title": "Sale Price", **_schedule(dated=True)},
                },
            },
        },
        "fulfillment_availability": {
            "title": "Fulfillment Availability", "type": "array", "minItems": 1,
            "items": {
                "type": "object", "required": ["fulfillment_channel_code"],
                "additionalProperties": False,
                "properties": {
                    "fulfillment_channel_code": {"title": "Fulfillment Channel Code", "type": "string"},
                    "quantity": {"title": "Quantity", "type": "integer", "minimum": 0},
                    "lead_time_to_ship_max_days": {"title": "Handling Time", "type": "integer",
                                                   "minimum": 0, "maximum": 30},
                },
            },
        },
    }


def _weight() -> dict[str, Any]:
    return {
        "title": "Item Weight", "description": "The weight of the item", "editable": True,
        "type": "array", "minItems": 1, "maxItems": 1, "maxUniqueItems": 1,
        "selectors": _selectors(False),
        "items": {
            "type": "object", "required": ["unit", "value"], "additionalProperties": False,
            "properties": {
                "value": {"title": "Item Weight", "type": "number", "minimum": 0.01},
                "unit": {"title": "Item Weight Unit", "type": "string",
                         "enum": ["grams", "kilograms", "ounces", "pounds"],
                         "enumNames": ["Grams", "Kilograms", "Ounces", "Pounds"]},
                "marketplace_id": {"$ref": "#/$defs/marketplace_id"},
            },
        },
    }


def _level_is(level: str) -> dict[str, Any]:
    return {"required": ["parentage_level"], "properties": {"parentage_level": {"contains": {
        "required": ["value"], "properties": {"value": {"enum": [level]}}}}}}


def _variation(product_type: str) -> dict[str, Any]:
    return {
        "parentage_level": _enum("Parentage Level", {"parent": "Parent", "child": "Child"}),
        "child_parent_sku_relationship": {
            "title": "Child Parent SKU Relationship", "type": "array", "minItems": 1, "maxItems": 1,
            "items": {
                "type": "object", "required": ["child_relationship_type", "parent_sku"],
                "additionalProperties": False,
                "properties": {
                    "child_relationship_type": {"title": "Child Relationship Type", "type": "string",
                                                "enum": ["variation"], "enumNames": ["Variation"]},
                    "parent_sku": {"title": "Parent SKU", "type": "string", "minLength": 1,
                                   "maxLength": 40},
                    "marketplace_id": {"$ref": "#/$defs/marketplace_id"},
                },
            },
        },
        "variation_theme": {
            "title": "Variation Theme", "type": "array", "minItems": 1, "maxItems": 1,
            "items": {"type": "object", "required": ["name"], "additionalProperties": False,
                      "properties": {"name": {"title": "Variation Theme Name", "type": "string",
                                              "enum": list(VARIATION_THEMES[product_type])}}},
        },
    }


def _attributes(product_type: str, marketplace_id: str) -> tuple[dict[str, Any], list[str],
                                                                   list[dict[str, Any]]]:
    props = _common(marketplace_id)
    required = ["item_name", "brand", "externally_assigned_product_identifier", "condition_type"]
    conditions: list[dict[str, Any]] = []
    if product_type == "KITCHEN":
        props["material"] = _text("Material", max_length=100, max_unique=3)
        props["item_weight"] = _weight()
        required += ["material", "item_weight"]
    elif product_type == "SHIRT":
        props["color"] = _text("Color", max_length=50)
        props["size"] = _text("Size", max_length=50)
        props.update(_variation(product_type))
        # A parent is a family's name: no identifier, no color, size or offer of its own.
        required.remove("externally_assigned_product_identifier")
        conditions = [
            {"if": _level_is("child"),
             "then": {"required": ["child_parent_sku_relationship", "variation_theme"]}},
            {"if": _level_is("parent"),
             "then": {"required": ["variation_theme"], "not": {"required": ["purchasable_offer"]}},
             "else": {"required": ["externally_assigned_product_identifier", "color", "size"]}},
        ]
    else:
        props["item_weight"] = _weight()
    return props, required, conditions


def product_type_schema(product_type: str, marketplace_id: str, *,
                        requirements: str = "LISTING", enforced: bool = True) -> dict[str, Any]:
    """The JSON Schema of ``product_type`` in one marketplace (a fresh copy; KeyError when the
    product type is not one of :data:`PRODUCT_TYPES`)."""
    if product_type not in PRODUCT_TYPES:
        raise KeyError(product_type)
    props, required, conditions = _attributes(product_type, marketplace_id)
    if requirements == "LISTING_OFFER_ONLY":
        props = {k: v for k, v in props.items() if k in _OFFER_ATTRIBUTES}
        required, conditions = ["condition_type", "merchant_suggested_asin"], []
    elif requirements == "LISTING_PRODUCT_ONLY":
        props = {k: v for k, v in props.items() if k not in ("purchasable_offer",
                                                              "fulfillment_availability")}
        for c in conditions:  # built afresh on each call: changing them is safe
            c.get("then", {}).pop("not", None)
    schema: dict[str, Any] = {
        "$schema": META_SCHEMA_ID,
        "$id": _SCHEMA_ID + product_type,
        "$comment": f"Amazon product type definition for {product_type} product type",
        "$defs": _marketplace_defs(marketplace_id),
        "description": f"Amazon product type definition for {product_type} product type",
        "type": "object",
        "properties": props,
    }
    if enforced:
        schema["required"] = required
        if conditions:
            schema["allOf"] = conditions
    return copy.deepcopy(schema)


def checksum(schema: dict[str, Any]) -> str:
    """Amazon's ``checksum`` of a schema: Base64 MD5 of the document as served."""
    digest = hashlib.md5(json.dumps(schema, sort_keys=True).encode(), usedforsecurity=False).digest()
    return base64.b64encode(digest).decode()
