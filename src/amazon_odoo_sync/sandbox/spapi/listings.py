"""Listings logic of the simulator: what a PATCH (or a listings-feed message) changes on an offer.

Only the sales terms the connector sends are interpreted:

* ``/attributes/fulfillment_availability`` with ``fulfillment_channel_code: DEFAULT`` sets the
  merchant-fulfilled (FBM) quantity; Amazon channel codes (``AMAZON_EU``...) are FBA and refused;
* ``/attributes/purchasable_offer`` sets the price (``our_price[0].schedule[0].value_with_tax``)
  of the entry for every buyer (``audience`` ALL or none) and the business price of the one with
  ``audience`` B2B; each entry's ``currency`` must be the marketplace's;
* any other attribute is stored as given (so GET with ``includedData=attributes`` echoes it).

``delete`` of fulfillment_availability sets the FBM quantity to 0; of purchasable_offer removes
the price (the listing stops being BUYABLE), or only the business price when the value given
names the B2B audience alone (Amazon deletes the entries its selectors match). Bad input never
raises: it becomes an ``Issue`` with severity ERROR, as Amazon reports it, and nothing of that
submission is applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "FBM_CHANNEL",
    "Issue",
    "ListingChange",
    "interpret_attributes",
    "interpret_patches",
]

FBM_CHANNEL = "DEFAULT"
_OPS = ("add", "replace", "merge", "delete")
_MAX_QUANTITY = 2_147_483_647


@dataclass(frozen=True, kw_only=True)
class Issue:
    """An issue as Amazon returns it (listings submission or feed processing report)."""

    code: str
    message: str
    severity: str = "ERROR"
    attribute_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    #: What Amazon did about it (LISTING_SUPPRESSED takes the buyability away, SEARCH_SUPPRESSED...).
    enforcement_actions: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message,
                                "severity": self.severity, "categories": list(self.categories)}
        if self.attribute_names:
            body["attributeNames"] = list(self.attribute_names)
        if self.enforcement_actions:
            body["enforcements"] = {"actions": [{"action": a} for a in self.enforcement_actions],
                                    "exemption": {"status": "NOT_EXEMPT"}}
        return body


@dataclass(frozen=True, kw_only=True)
class ListingChange:
    """What one submission changes; ``None`` means "leave as is"."""

    quantity: int | None = None
    price: Decimal | None = None
    remove_price: bool = False
    business_price: Decimal | None = None
    remove_business_price: bool = False
    #: Other attributes, set as given (already in Amazon's attribute-value-list form).
    attributes: Mapping[str, Any] = field(default_factory=dict)
    removed_attributes: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return (self.quantity is None and self.price is None and not self.remove_price
                and self.business_price is None and not self.remove_business_price
                and not self.attributes and not self.removed_attributes)


def _invalid(attribute: str, message: str, code: str = "99010") -> Issue:
    return Issue(code=code, message=message, attribute_names=(attribute,),
                 categories=("INVALID_ATTRIBUTE",))


def _quantity(value: Any) -> tuple[int | None, list[Issue]]:
    attr = "fulfillment_availability"
    if not isinstance(value, list) or not value or not isinstance(value[0], dict):
        return None, [_invalid(attr, f"'{attr}' must be a list with one object per channel.")]
    issues: list[Issue] = []
    quantity: int | None = None
    for entry in value:
        channel = entry.get("fulfillment_channel_code")
        if channel is None:
            issues.append(Issue(code="90220", message=f"'[{attr}.fulfillment_channel_code]' is "
                                "required but not supplied.", attribute_names=(attr,),
                                categories=("MISSING_ATTRIBUTE",)))
            continue
        if channel != FBM_CHANNEL:
            issues.append(_invalid(attr, f"The quantity of Amazon-fulfilled channel '{channel}' is "
                                   "managed by Amazon and cannot be submitted.", code="8560"))
            continue
        raw = entry.get("quantity")
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= _MAX_QUANTITY:
            issues.append(_invalid(attr, f"The value '{raw}' for '{attr}.quantity' is invalid: it must "
                                   "be a whole number between 0 and 2147483647."))
            continue
        quantity = raw
    return quantity, issues


def _offer_price(offer: Any, currency: str | None) -> tuple[Decimal | None, list[Issue]]:
    attr = "purchasable_offer"
    try:
        raw = offer["our_price"][0]["schedule"][0]["value_with_tax"]
    except (KeyError, IndexError, TypeError):
        return None, [Issue(code="99022", message="The field 'prices' for the attribute "
                            "'purchasable_offer.our_price' does not have enough values. The required "
                            "minimum is '1' value(s).", attribute_names=("purchasable_offer.our_price",),
                            categories=("MISSING_ATTRIBUTE",))]
    given_currency = offer.get("currency")
    if currency and given_currency and given_currency != currency:
        return None, [_invalid(attr, f"The currency '{given_currency}' is not the marketplace "
                               f"currency '{currency}'.")]
    try:
        price = Decimal(str(raw))
    except InvalidOperation:
        price = Decimal(-1)
    if isinstance(raw, bool) or not price.is_finite() or price <= 0:
        return None, [_invalid("purchasable_offer.our_price",
                               f"The value '{raw}' for 'our_price' is invalid: it must be a positive "
                               "number.", code="99012")]
    return price.quantize(Decimal("0.01")), []


def _price(value: Any, currency: str | None) -> tuple[dict[str, Any], list[Issue]]:
    """ListingChange fields of a purchasable_offer value: the price of the entry for every buyer,
    the business price of the B2B one."""
    attr = "purchasable_offer"
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        return {}, [_invalid(attr, f"'{attr}' must be a list of offer objects.")]
    fields: dict[str, Any] = {}
    issues: list[Issue] = []
    for offer in value:
        audience = offer.get("audience", "ALL")
        if audience not in ("ALL", "B2B"):
            issues.append(_invalid(attr, f"The audience '{audience}' is not one of ALL, B2B."))
            continue
        price, found = _offer_price(offer, currency)
        issues.extend(found)
        if price is not None:
            fields["business_price" if audience == "B2B" else "price"] = price
    return (fields if not issues else {}), issues


def _one(name: str, op: str, value: Any, currency: str | None) -> tuple[dict[str, Any], list[Issue]]:
    """The change of one attribute as a dict of ListingChange fields, plus issues."""
    if op == "delete":
        if name == "fulfillment_availability":
            return {"quantity": 0}, []
        if name == "purchasable_offer":
            if isinstance(value, list) and value and all(
                    isinstance(v, dict) and v.get("audience") == "B2B" for v in value):
                return {"remove_business_price": True}, []
            return {"remove_price": True}, []
        return {"removed_attributes": (name,)}, []
    if name == "fulfillment_availability":
        qty, issues = _quantity(value)
        return ({"quantity": qty} if qty is not None else {}), issues
    if name == "purchasable_offer":
        return _price(value, currency)
    if not isinstance(value, list):
        return {}, [_invalid(name, f"The value of '{name}' must be a list of attribute values.")]
    return {"attributes": {name: value}}, []


def _merge(fields: dict[str, Any], more: dict[str, Any]) -> None:
    for key, val in more.items():
        if key == "attributes":
            fields.setdefault("attributes", {}).update(val)
        elif key == "removed_attributes":
            fields["removed_attributes"] = fields.get("removed_attributes", ()) + val
        else:
            fields[key] = val


def interpret_patches(patches: Any, *, currency: str | None) -> tuple[ListingChange, list[Issue]]:
    """Read JSON-Patch-like operations (patchListingsItem, feed PATCH messages)."""
    if not isinstance(patches, list) or not patches:
        return ListingChange(), [Issue(code="4000001", message="'patches' must contain at least one "
                                       "operation.", categories=("INVALID_ATTRIBUTE",))]
    fields: dict[str, Any] = {}
    issues: list[Issue] = []
    for patch in patches:
        if not isinstance(patch, dict):
            issues.append(Issue(code="4000001", message="Each patch must be an object with 'op' and "
                                "'path'.", categories=("INVALID_ATTRIBUTE",)))
            continue
        op, path = patch.get("op"), patch.get("path")
        if op not in _OPS:
            issues.append(Issue(code="4000001", message=f"Patch operation '{op}' is not one of "
                                f"{', '.join(_OPS)}.", categories=("INVALID_ATTRIBUTE",)))
            continue
        if not isinstance(path, str) or not path.startswith("/attributes/") or path.count("/") != 2:
            issues.append(Issue(code="4000001", message=f"Patch path '{path}' is not of the form "
                                "'/attributes/<attribute name>'.", categories=("INVALID_ATTRIBUTE",)))
            continue
        if op != "delete" and "value" not in patch:
            issues.append(_invalid(path[12:], f"Patch operation '{op}' on '{path}' needs a 'value'."))
            continue
        change, more = _one(path[12:], op, patch.get("value"), currency)
        issues.extend(more)
        _merge(fields, change)
    return ListingChange(**fields), issues


def interpret_attributes(attributes: Any, *, currency: str | None) -> tuple[ListingChange, list[Issue]]:
    """Read an attributes object (feed UPDATE / PARTIAL_UPDATE messages): each is a replace."""
    if not isinstance(attributes, dict) or not attributes:
        return ListingChange(), [Issue(code="4000001", message="'attributes' must be a non-empty "
                                       "object.", categories=("INVALID_ATTRIBUTE",))]
    patches: Sequence[dict[str, Any]] = [
        {"op": "replace", "path": f"/attributes/{name}", "value": value}
        for name, value in attributes.items()
    ]
    return interpret_patches(list(patches), currency=currency)
