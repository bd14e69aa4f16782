"""Creating listings in the simulator: putListingsItem validated against the product types,
offer-only listings on an existing ASIN, variation families, and listing issues (suppression).

Validation follows the product type's JSON Schema for the marketplace and requirements set
(:mod:`.product_types`), with the simulator's own validator (not the connector's, so a mistake
there is not mirrored here): JSON Schema 2019-09 plus ``maxUniqueItems`` per ``selectors``.
Issues are reported as Amazon words them, with the attribute names and these codes:

=========  =====================  =====================================================
code       category               meaning
=========  =====================  =====================================================
90220      MISSING_ATTRIBUTE      a required attribute (or field of one) is not supplied
99010      INVALID_ATTRIBUTE      a value is not accepted (type, enum, bounds, format...)
99022      MISSING_ATTRIBUTE      fewer values than the attribute needs
99023      INVALID_ATTRIBUTE      more (distinct) values than the attribute accepts
4000002    INVALID_ATTRIBUTE      the product type or requirements set is not known
4000004    INVALID_ATTRIBUTE      offer-only: the ASIN does not exist
4000005    INVALID_ATTRIBUTE      a child names a parent SKU that is not a parent listing
=========  =====================  =====================================================

A full listing joins the ASIN its identifier names (:class:`~.catalog.CatalogIndex`), or creates
a product with a new ASIN. A parent (``parentage_level`` parent) is a listing without offer
(DISCOVERABLE, never BUYABLE); a child needs its parent listed first and joins its family.

Issues found later by "Amazon" (:meth:`Publisher.add_issue`, ``POST /_sim/listings/issues``) stay
on the listing, are shown by getListingsItem ``includedData=issues`` and publish
``LISTINGS_ITEM_ISSUES_CHANGE``; ``LISTING_SUPPRESSED`` takes the listing's buyability away
(``LISTINGS_ITEM_STATUS_CHANGE``); a later submission of an attribute an issue names resolves it.
"""

from __future__ import annotations

import functools
import hashlib
import weakref
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import jsonschema
from jsonschema import Draft201909Validator
from jsonschema.exceptions import ValidationError

from amazon_odoo_sync.marketplaces import by_id

from .catalog import CatalogIndex
from .listings import FBM_CHANNEL, Issue
from .notifications import listings_issues_payload
from .product_types import PRODUCT_TYPES, REQUIREMENTS, product_type_schema
from .selling import ListingState, SellingServices
from .world import Offer, Product

__all__ = ["Publisher", "publisher"]


def _max_unique(validator: Any, limit: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if not isinstance(instance, list):
        return
    selectors = list(schema.get("selectors", ()))
    groups: dict[tuple[str, ...], set[str]] = {}
    for item in instance:
        key = tuple(str(item.get(s, "")) for s in selectors) if isinstance(item, dict) else ()
        rest = {k: v for k, v in item.items() if k not in selectors} if isinstance(item, dict) else item
        groups.setdefault(key, set()).add(repr(rest))
    if any(len(v) > limit for v in groups.values()):
        yield ValidationError(f"accepts at most {limit} value(s) per {' and '.join(selectors) or 'item'}")


_Validator = jsonschema.validators.extend(Draft201909Validator, validators={"maxUniqueItems": _max_unique})
_formats = Draft201909Validator.FORMAT_CHECKER


@functools.cache
def _validator(product_type: str, marketplace_id: str, requirements: str, enforced: bool) -> Any:
    return _Validator(product_type_schema(product_type, marketplace_id, requirements=requirements,
                                          enforced=enforced), format_checker=_formats)


def _title(schema: Mapping[str, Any], name: str) -> str:
    sub = schema.get("properties", {}).get(name, {})
    return str(sub.get("title", name)) if isinstance(sub, Mapping) else name


def _issue(error: ValidationError, root: Mapping[str, Any]) -> Issue:
    path = list(error.absolute_path)
    attribute = str(path[0]) if path else ""
    title = _title(root, attribute) if attribute else ""
    if error.validator == "required":
        missing = next((str(n) for n in error.validator_value
                        if isinstance(error.instance, dict) and n not in error.instance), "")
        if not path:
            return Issue(code="90220", message=f"'{_title(root, missing)}' is required but not supplied.",
                         attribute_names=(missing,), categories=("MISSING_ATTRIBUTE",))
        return Issue(code="90220", message=f"'[{attribute}.{missing}]' is required but not supplied.",
                     attribute_names=(attribute,), categories=("MISSING_ATTRIBUTE",))
    if error.validator == "minItems":
        return Issue(code="99022", message=f"The field '{title}' does not have enough values. The required "
                     f"minimum is '{error.validator_value}' value(s).", attribute_names=(attribute,),
                     categories=("MISSING_ATTRIBUTE",))
    if error.validator in ("maxItems", "maxUniqueItems"):
        return Issue(code="99023", message=f"The field '{title}' has too many values. The maximum is "
                     f"'{error.validator_value}' value(s).", attribute_names=(attribute,),
                     categories=("INVALID_ATTRIBUTE",))
    if error.validator == "not" and not path:
        names = list(error.validator_value.get("required", ())) if isinstance(error.validator_value, dict) else []
        return Issue(code="99010", message=f"'{_title(root, names[0]) if names else 'attribute'}' is not "
                     "allowed for this listing.", attribute_names=tuple(names), categories=("INVALID_ATTRIBUTE",))
    value = error.instance if not isinstance(error.instance, dict | list) else "..."
    return Issue(code="99010", message=f"The value '{value}' provided for '{title or 'attributes'}' is invalid.",
                 attribute_names=(attribute,) if attribute else (), categories=("INVALID_ATTRIBUTE",))


def _for(values: Any, mid: str) -> list[dict[str, Any]]:
    """The entries of an attribute meant for one marketplace (no marketplace_id: every one)."""
    if not isinstance(values, list):
        return []
    return [v for v in values if isinstance(v, dict) and v.get("marketplace_id", mid) == mid]


def _first(attrs: Mapping[str, Any], name: str, mid: str, key: str = "value") -> Any:
    entries = _for(attrs.get(name), mid)
    return entries[0].get(key) if entries else None


def _price(entry: Mapping[str, Any]) -> Decimal | None:
    try:
        raw = entry["our_price"][0]["schedule"][0]["value_with_tax"]
        return Decimal(str(raw)).quantize(Decimal("0.01"))
    except (KeyError, IndexError, TypeError, InvalidOperation):
        return None


class Publisher:
    """putListingsItem and listing issues of one simulator (see :func:`publisher`)."""

    def __init__(self, svc: SellingServices) -> None:
        self.svc = svc
        self.world = svc.world
        self.catalog = CatalogIndex(svc.world)
        #: (seller, marketplace, sku) → "parent" | "child" | "standalone"
        self.roles: dict[tuple[str, str, str], str] = {}

    # -- validation ---------------------------------------------------------------------------

    def validate(self, product_type: str, requirements: str, attributes: Mapping[str, Any],
                 marketplace_ids: Sequence[str], *, partial: bool = False) -> list[Issue]:
        if product_type not in PRODUCT_TYPES:
            return [Issue(code="4000002", message=f"The product type '{product_type}' is not valid for "
                          f"marketplace {','.join(marketplace_ids)}.", categories=("INVALID_ATTRIBUTE",))]
        if requirements not in REQUIREMENTS:
            return [Issue(code="4000002", message=f"The requirements '{requirements}' are not one of "
                          f"{', '.join(REQUIREMENTS)}.", categories=("INVALID_ATTRIBUTE",))]
        issues: list[Issue] = []
        for mid in marketplace_ids:
            validator = _validator(product_type, mid, requirements, not partial)
            known = validator.schema["properties"]
            instance = {k: v for k, v in attributes.items() if k in known} if partial else attributes
            for error in validator.iter_errors(instance):
                issue = _issue(error, validator.schema)
                if issue not in issues:
                    issues.append(issue)
        return issues

    def _family_issues(self, seller_id: str, attrs: Mapping[str, Any], mids: Sequence[str]) -> list[Issue]:
        issues = []
        for mid in mids:
            if _first(attrs, "parentage_level", mid) != "child":
                continue
            parent_sku = _first(attrs, "child_parent_sku_relationship", mid, "parent_sku")
            if self.roles.get((seller_id, mid, str(parent_sku))) != "parent":
                issues.append(Issue(code="4000005", message=f"The parent SKU '{parent_sku}' is not a parent "
                                    f"listing in marketplace {mid}; submit the parent first.",
                                    attribute_names=("child_parent_sku_relationship",),
                                    categories=("INVALID_ATTRIBUTE",)))
        return issues

    # -- putListingsItem ------------------------------------------------------------------------

    def put(self, *, seller_id: str, sku: str, marketplace_ids: Sequence[str], body: Mapping[str, Any],
            preview: bool) -> tuple[str, list[Issue]]:
        """(status, issues): INVALID and nothing applied when any issue is an ERROR."""
        product_type = str(body.get("productType"))
        requirements = str(body.get("requirements") or "LISTING")
        attrs: Mapping[str, Any] = body.get("attributes") or {}
        issues = self.validate(product_type, requirements, attrs, marketplace_ids)
        if not issues and requirements == "LISTING_OFFER_ONLY":
            for mid in marketplace_ids:
                asin = _first(attrs, "merchant_suggested_asin", mid)
                if asin not in self.world.products:
                    issues.append(Issue(code="4000004", message=f"The ASIN '{asin}' does not exist in "
                                        f"marketplace {mid}.", attribute_names=("merchant_suggested_asin",),
                                        categories=("INVALID_ATTRIBUTE",)))
        if not issues:
            issues = self._family_issues(seller_id, attrs, marketplace_ids)
        if any(i.severity == "ERROR" for i in issues):
            return "INVALID", issues
        if preview:
            return "VALID", issues
        for mid in marketplace_ids:
            self._apply(seller_id, sku, mid, product_type, requirements, attrs)
        return "ACCEPTED", issues

    def _asin(self, seller_id: str, sku: str, mid: str, attrs: Mapping[str, Any], product_type: str,
              role: str) -> str:
        code = _first(attrs, "externally_assigned_product_identifier", mid)
        if code:
            found = self.catalog.find(str(code))
            if found:
                return found
        existing = self.world.offer(seller_id, mid, sku)
        if existing is not None:
            return existing.asin
        asin = "B0" + hashlib.sha1(f"{seller_id}:{sku}".encode()).hexdigest()[:8].upper()
        parent_asin = None
        if role == "child":
            parent_sku = _first(attrs, "child_parent_sku_relationship", mid, "parent_sku")
            parent = self.world.offer(seller_id, mid, str(parent_sku))
            parent_asin = parent.asin if parent else None
        theme = _first(attrs, "variation_theme", mid, "name")
        variation = tuple((name, str(_first(attrs, name, mid))) for name in ("color", "size")
                          if role == "child" and _first(attrs, name, mid) is not None)
        self.world.add_product(Product(
            asin=asin, title=str(_first(attrs, "item_name", mid) or sku),
            brand=str(_first(attrs, "brand", mid) or "Generic"), product_type=product_type,
            parent_asin=parent_asin, is_parent=role == "parent", variation_theme=theme,
            variation=variation))
        if code:
            id_type = _first(attrs, "externally_assigned_product_identifier", mid, "type") or "ean"
            self.catalog.assign(asin, str(id_type), str(code))
        return asin

    def _apply(self, seller_id: str, sku: str, mid: str, product_type: str, requirements: str,
               attrs: Mapping[str, Any]) -> None:
        level = _first(attrs, "parentage_level", mid)
        role = level if level in ("parent", "child") else "standalone"
        if requirements == "LISTING_OFFER_ONLY":
            asin = str(_first(attrs, "merchant_suggested_asin", mid))
        else:
            asin = self._asin(seller_id, sku, mid, attrs, product_type, role)
        prices = {str(e.get("audience", "ALL")): _price(e) for e in _for(attrs.get("purchasable_offer"), mid)}
        price = None if role == "parent" else prices.get("ALL")
        fulfilment = _for(attrs.get("fulfillment_availability"), mid)
        channel_code = fulfilment[0].get("fulfillment_channel_code") if fulfilment else FBM_CHANNEL
        quantity = fulfilment[0].get("quantity") if fulfilment else None
        now = self.world.clock.now()
        offer = self.world.offer(seller_id, mid, sku)
        new = offer is None
        if offer is None:
            offer = self.world.add_offer(Offer(
                seller_id=seller_id, marketplace_id=mid, sku=sku, asin=asin,
                channel="MFN" if channel_code == FBM_CHANNEL else "AFN",
                price=price or Decimal("0.00"), currency=by_id(mid).currency,
                quantity=quantity if isinstance(quantity, int) else 0,
                status="DISCOVERABLE" if role == "parent" else "BUYABLE", updated=now))
        else:
            offer.asin = asin
            if offer.status == "DELETED" or role == "parent":
                self.world.set_offer_status(seller_id, mid, sku,
                                            "DISCOVERABLE" if role == "parent" else "BUYABLE", at=now)
            if isinstance(quantity, int) and offer.channel == "MFN":
                self.world.set_fbm_quantity(seller_id, mid, sku, quantity, at=now)
        if not new and price is not None and price != offer.price:
            self.world.set_price(seller_id, mid, sku, price, at=now)
        offer.business_price = None if role == "parent" else prices.get("B2B")
        key = (seller_id, mid, sku)
        state = self.svc.listings.get(key)
        if state is None or new:
            state = ListingState(product_type=product_type, created=now)
            self.svc.listings[key] = state  # last_status () : the new listing's status is a change
        state.product_type = product_type
        state.attributes = dict(attrs)  # PUT replaces every attribute
        state.has_price = price is not None
        self.roles[key] = role
        self._resolve(state, offer, set(attrs))
        self.svc._status_check(offer)

    # -- issues ---------------------------------------------------------------------------------

    def add_issue(self, seller_id: str, marketplace_id: str, sku: str, issue: Issue) -> None:
        offer = self.world.offer(seller_id, marketplace_id, sku)
        if offer is None:
            raise KeyError(f"SKU {sku!r} is not listed in {marketplace_id}")
        state = self.svc.listing(offer)
        state.issues.append(issue)
        self._issues_changed(offer, state)
        self.svc._status_check(offer)

    def resolve(self, seller_id: str, marketplace_id: str, sku: str, attribute_names: set[str]) -> None:
        """A submission of these attributes resolves the issues naming them (patch, put)."""
        offer = self.world.offer(seller_id, marketplace_id, sku)
        if offer is not None:
            self._resolve(self.svc.listing(offer), offer, attribute_names)
            self.svc._status_check(offer)

    def _resolve(self, state: ListingState, offer: Offer, attribute_names: set[str]) -> None:
        left = [i for i in state.issues if not (set(i.attribute_names) & attribute_names)]
        if len(left) != len(state.issues):
            state.issues = left
            self._issues_changed(offer, state)

    def _issues_changed(self, offer: Offer, state: ListingState) -> None:
        self.svc.hub.publish("LISTINGS_ITEM_ISSUES_CHANGE", offer.seller_id, listings_issues_payload(
            seller_id=offer.seller_id, marketplace_id=offer.marketplace_id, asin=offer.asin, sku=offer.sku,
            severities=[i.severity for i in state.issues],
            enforcement_actions=[a for i in state.issues for a in i.enforcement_actions]),
            marketplace_id=offer.marketplace_id)


_PUBLISHERS: weakref.WeakKeyDictionary[SellingServices, Publisher] = weakref.WeakKeyDictionary()


def publisher(svc: SellingServices) -> Publisher:
    """The publisher of a simulator's selling services (created on first use)."""
    found = _PUBLISHERS.get(svc)
    if found is None:
        found = _PUBLISHERS[svc] = Publisher(svc)
        svc.feeds.putter = found.put
        svc.feeds.known_product_types = frozenset(PRODUCT_TYPES)
    return found
