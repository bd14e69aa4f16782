"""Odoo products → the listings to send to Amazon, pure.

Input: an Odoo product template with its variants (internal reference = SKU, barcode = EAN/UPC/
GTIN, attribute values with their translations), the configuration of how it is listed
(:class:`ListingRules`: product type, marketplaces, variation theme, which Odoo attribute is which
Amazon attribute, constant attributes such as the brand), the ASINs Amazon's catalog already has
for the barcodes (Catalog Items search by identifier, done by the flow), the prices
(:mod:`.prices`) and what is published already. Output: a :class:`ListingPlan`:

* a variant whose barcode matches an ASIN → an **offer-only** listing (``LISTING_OFFER_ONLY``:
  condition, ``merchant_suggested_asin``, the offer): the product exists, only the offer is ours;
* otherwise a **full** listing (``LISTING``): title and description in the marketplace's language,
  brand, identifier, weight, mapped attributes, the offer;
* a template with several variants → a **parent** SKU (the template's internal reference; no
  offer, no identifier) carrying the variation theme, and **child** SKUs with their attribute
  values and ``child_parent_sku_relationship``; the parent is sent only when a child needs a full
  listing (offer-only children join a family Amazon has already);
* a child published before whose variant is gone (archived or deleted in Odoo) → **retired**;
  a listing whose attributes did not change since last sent → left alone (``fingerprint``).

Problems that stop a SKU (no internal reference, a barcode whose check digit is wrong, a variant
lacking a value of the variation theme, two variants with the same values) are reported per SKU
in words; so are the schema's problems when a :class:`~.listing_schema.ListingSchema` is given
for the product type and marketplace: nothing invalid is sent. Quantities are not part of a
listing: the stock flow sends them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from ..marketplaces import by_id, language_tag
from .listing_schema import ListingSchema
from .prices import PriceUpdate, price_patches

__all__ = [
    "IdentifierType",
    "ListingDraft",
    "ListingPlan",
    "ListingProblem",
    "ListingRetirement",
    "ListingRules",
    "OdooTemplate",
    "OdooValue",
    "OdooVariant",
    "PublishedListing",
    "Requirements",
    "Role",
    "identifier_type",
    "plan_listings",
]

Requirements = Literal["LISTING", "LISTING_OFFER_ONLY"]
Role = Literal["standalone", "parent", "child"]
IdentifierType = Literal["ean", "upc", "gtin"]


# -- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OdooValue:
    """A product attribute value of Odoo (``product.template.attribute.value``)."""

    attribute: str  # the attribute's name in Odoo ("Size")
    name: str  # the value ("M")
    #: its name per Odoo language code ("de_DE": "Blau"); Odoo's codes are Amazon's language tags
    translations: Mapping[str, str] = field(default_factory=dict)

    def in_language(self, tag: str) -> str:
        return self.translations.get(tag, self.name)


@dataclass(frozen=True, kw_only=True)
class OdooVariant:
    product_id: int
    default_code: str | None  # internal reference: the SKU
    barcode: str | None = None
    values: tuple[OdooValue, ...] = ()
    active: bool = True
    weight_kg: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class OdooTemplate:
    template_id: int
    name: str
    default_code: str | None = None  # the parent SKU of a variation family
    description: str | None = None
    #: name and description per Odoo language code
    name_translations: Mapping[str, str] = field(default_factory=dict)
    description_translations: Mapping[str, str] = field(default_factory=dict)
    variants: tuple[OdooVariant, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ListingRules:
    """How one template is listed (from the configuration, not from code)."""

    product_type: str
    marketplace_ids: tuple[str, ...]
    #: Amazon's variation theme ("SIZE/COLOR"); its parts name the Amazon attributes it varies by
    variation_theme: str | None = None
    #: Odoo attribute name → Amazon attribute ("Size" → "size", "Farbe" → "color")
    attribute_map: Mapping[str, str] = field(default_factory=dict)
    #: Amazon text attributes that are the same for every variant ("brand": "Acme"); a tuple for
    #: several values (bullet points); per marketplace id in ``constants_by_marketplace``
    constants: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    constants_by_marketplace: Mapping[str, Mapping[str, str | tuple[str, ...]]] = field(
        default_factory=dict)
    #: Amazon attribute → {Odoo value → the value Amazon expects} ("size": {"M": "Medium"}); a value
    #: found here is sent as given, in every language; per marketplace id in
    #: ``value_map_by_marketplace`` (wins)
    value_map: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    value_map_by_marketplace: Mapping[str, Mapping[str, Mapping[str, str]]] = field(default_factory=dict)
    condition: str = "new_new"

    def mapped_value(self, amazon_attribute: str, odoo_value: str, marketplace_id: str) -> str | None:
        here = self.value_map_by_marketplace.get(marketplace_id, {}).get(amazon_attribute, {})
        return here.get(odoo_value) or self.value_map.get(amazon_attribute, {}).get(odoo_value)

    def theme_attributes(self) -> tuple[str, ...]:
        if not self.variation_theme:
            return ()
        return tuple(part.strip().lower() for part in self.variation_theme.split("/"))


@dataclass(frozen=True, kw_only=True)
class PublishedListing:
    """A listing of this template Amazon has (from our store)."""

    sku: str
    marketplace_id: str
    role: Role
    fingerprint: str


# -- outputs --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ListingDraft:
    """A listing to send (putListingsItem body, or a feed UPDATE message)."""

    sku: str
    marketplace_id: str
    product_type: str
    requirements: Requirements
    role: Role
    attributes: Mapping[str, Any]
    odoo_product_id: int | None = None  # None for a parent (it is the template)
    odoo_template_id: int
    asin: str | None = None  # offer-only: the ASIN matched by identifier
    parent_sku: str | None = None

    @property
    def offer_only(self) -> bool:
        return self.requirements == "LISTING_OFFER_ONLY"

    @property
    def fingerprint(self) -> str:
        """Changes when anything sent changes."""
        raw = json.dumps([self.product_type, self.requirements, self.attributes], sort_keys=True,
                         separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()[:32]

    def body(self) -> dict[str, Any]:
        return {"productType": self.product_type, "requirements": self.requirements,
                "attributes": dict(self.attributes)}


@dataclass(frozen=True, kw_only=True)
class ListingRetirement:
    sku: str
    marketplace_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ListingProblem:
    sku: str
    marketplace_id: str | None
    message: str
    #: the attributes at fault, when the problem is about some
    attributes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ListingPlan:
    publish: tuple[ListingDraft, ...] = ()
    retire: tuple[ListingRetirement, ...] = ()
    problems: tuple[ListingProblem, ...] = ()
    unchanged: tuple[tuple[str, str], ...] = ()


# -- identifiers ----------------------------------------------------------------------------


def _gs1_check_digit_ok(digits: str) -> bool:
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def identifier_type(barcode: str) -> IdentifierType | None:
    """The GS1 identifier a barcode is (EAN-8/EAN-13 → ean, UPC-A → upc, GTIN-14 → gtin), or None
    when it is not one (wrong length, not digits, wrong check digit)."""
    code = barcode.strip()
    if not code.isdigit() or not code.isascii() or len(code) not in (8, 12, 13, 14):
        return None
    if not _gs1_check_digit_ok(code):
        return None
    return {8: "ean", 12: "upc", 13: "ean", 14: "gtin"}[len(code)]  # type: ignore[return-value]


def _normalised(barcode: str) -> str:
    """A UPC-A is an EAN-13 with a leading zero: Amazon's catalog finds either."""
    code = barcode.strip()
    return "0" + code if len(code) == 12 else code


# -- building ---------------------------------------------------------------------------------


def _text(value: str, mid: str) -> dict[str, Any]:
    return {"value": value, "language_tag": language_tag(mid), "marketplace_id": mid}


def _texts(values: str | tuple[str, ...], mid: str) -> list[dict[str, Any]]:
    return [_text(v, mid) for v in ((values,) if isinstance(values, str) else values)]


def _plain(value: str, mid: str) -> list[dict[str, Any]]:
    return [{"value": value, "marketplace_id": mid}]


def _constants(rules: ListingRules, mid: str) -> dict[str, list[dict[str, Any]]]:
    merged = {**rules.constants, **rules.constants_by_marketplace.get(mid, {})}
    return {name: _texts(value, mid) for name, value in merged.items()}


def _common(template: OdooTemplate, rules: ListingRules, mid: str, title: str) -> dict[str, Any]:
    tag = language_tag(mid)
    attrs: dict[str, Any] = {"item_name": [_text(title, mid)],
                             "condition_type": _plain(rules.condition, mid)}
    description = template.description_translations.get(tag, template.description)
    if description:
        attrs["product_description"] = [_text(description, mid)]
    attrs.update(_constants(rules, mid))
    return attrs


def _offer(price: PriceUpdate | None) -> dict[str, Any]:
    if price is None:
        return {}
    return {"purchasable_offer": price_patches(price)[0]["value"]}


def _weight(variant: OdooVariant, mid: str) -> dict[str, Any]:
    if variant.weight_kg is None or variant.weight_kg <= 0:
        return {}
    return {"item_weight": [{"value": float(variant.weight_kg), "unit": "kilograms",
                             "marketplace_id": mid}]}


@dataclass
class _Collector:
    drafts: list[ListingDraft] = field(default_factory=list)
    problems: list[ListingProblem] = field(default_factory=list)

    def problem(self, sku: str, mid: str | None, message: str, *attributes: str) -> None:
        self.problems.append(ListingProblem(sku=sku, marketplace_id=mid, message=message,
                                            attributes=attributes))


def _variant_problems(template: OdooTemplate, variants: Sequence[OdooVariant], rules: ListingRules,
                      family: bool, out: _Collector) -> list[OdooVariant]:
    """The variants that can be listed; the others get a problem each."""
    good: list[OdooVariant] = []
    seen_skus: dict[str, int] = {}
    seen_values: dict[tuple[str, ...], str] = {}
    theme = rules.theme_attributes()
    for v in variants:
        sku = (v.default_code or "").strip()
        if not sku:
            out.problem(f"odoo:product.product:{v.product_id}", None,
                        f"variant {v.product_id} of '{template.name}' has no internal reference "
                        "(the SKU): set one in Odoo")
            continue
        if sku in seen_skus:
            out.problem(sku, None, f"SKU {sku} is the internal reference of two variants "
                        f"({seen_skus[sku]} and {v.product_id})")
            continue
        seen_skus[sku] = v.product_id
        if v.barcode and identifier_type(v.barcode) is None:
            out.problem(sku, None, f"{sku}: barcode {v.barcode!r} is not a valid EAN, UPC or GTIN "
                        "(length or check digit)", "externally_assigned_product_identifier")
            continue
        if family:
            mapped = {rules.attribute_map.get(val.attribute): val.name for val in v.values}
            missing = [a for a in theme if a not in mapped]
            if missing:
                out.problem(sku, None, f"{sku}: no value for {', '.join(missing)} of the variation "
                            f"theme {rules.variation_theme} (map an Odoo attribute to it)", *missing)
                continue
            combination = tuple(mapped[a] for a in theme)
            if combination in seen_values:
                out.problem(sku, None, f"{sku}: the same {rules.variation_theme} "
                            f"({', '.join(combination)}) as {seen_values[combination]}", *theme)
                continue
            seen_values[combination] = sku
        good.append(v)
    return good


def _mapped_values(variant: OdooVariant, rules: ListingRules, mid: str) -> dict[str, Any]:
    tag = language_tag(mid)
    attrs: dict[str, Any] = {}
    for val in variant.values:
        amazon = rules.attribute_map.get(val.attribute)
        if amazon:
            value = rules.mapped_value(amazon, val.name, mid) or val.in_language(tag)
            attrs[amazon] = [_text(value, mid)]
    return attrs


def _title(template: OdooTemplate, variant: OdooVariant | None, mid: str) -> str:
    tag = language_tag(mid)
    name = template.name_translations.get(tag, template.name)
    if variant is None or not variant.values:
        return name
    return f"{name} - {', '.join(v.in_language(tag) for v in variant.values)}"


def _asin_for(variant: OdooVariant, mid: str, asins: Mapping[tuple[str, str], str]) -> str | None:
    if not variant.barcode:
        return None
    return asins.get((_normalised(variant.barcode), mid)) or asins.get((variant.barcode.strip(), mid))


def _draft(template: OdooTemplate, rules: ListingRules, v: OdooVariant, mid: str, family: bool,
           parent_sku: str, asins: Mapping[tuple[str, str], str],
           prices: Mapping[tuple[str, str], PriceUpdate]) -> ListingDraft:
    sku = (v.default_code or "").strip()
    role: Role = "child" if family else "standalone"
    price = prices.get((sku, mid))
    asin = _asin_for(v, mid, asins)
    if asin is not None:
        attrs: dict[str, Any] = {"condition_type": _plain(rules.condition, mid),
                                 "merchant_suggested_asin": _plain(asin, mid), **_offer(price)}
        return ListingDraft(sku=sku, marketplace_id=mid, product_type=rules.product_type,
                            requirements="LISTING_OFFER_ONLY", role=role, attributes=attrs,
                            odoo_product_id=v.product_id, odoo_template_id=template.template_id,
                            asin=asin, parent_sku=parent_sku or None)
    attrs = _common(template, rules, mid, _title(template, v if family else None, mid))
    kind = identifier_type(v.barcode) if v.barcode else None
    if v.barcode and kind:
        attrs["externally_assigned_product_identifier"] = [
            {"type": kind, "value": v.barcode.strip(), "marketplace_id": mid}]
    attrs.update(_weight(v, mid))
    attrs.update(_mapped_values(v, rules, mid))
    if family:
        attrs["parentage_level"] = _plain("child", mid)
        attrs["child_parent_sku_relationship"] = [{
            "child_relationship_type": "variation", "parent_sku": parent_sku, "marketplace_id": mid}]
        attrs["variation_theme"] = [{"name": rules.variation_theme}]
    attrs.update(_offer(price))
    return ListingDraft(sku=sku, marketplace_id=mid, product_type=rules.product_type,
                        requirements="LISTING", role=role, attributes=attrs,
                        odoo_product_id=v.product_id, odoo_template_id=template.template_id,
                        parent_sku=parent_sku or None)


def plan_listings(template: OdooTemplate, rules: ListingRules, *,
                  asins: Mapping[tuple[str, str], str],
                  prices: Mapping[tuple[str, str], PriceUpdate],
                  published: Iterable[PublishedListing] = (),
                  schemas: Mapping[tuple[str, str, str], ListingSchema] | None = None) -> ListingPlan:
    """The listings of one template in the marketplaces of ``rules``.

    ``asins``: ``(barcode, marketplace_id) → ASIN`` found in Amazon's catalog (a UPC may be given
    as its EAN-13 with a leading 0); ``prices``: ``(sku, marketplace_id) → PriceUpdate`` that
    passed the price guards; ``published``: what Amazon has of this template; ``schemas``:
    ``(product_type, marketplace_id, requirements) → ListingSchema`` to validate against (a draft
    without one is not checked locally)."""
    out = _Collector()
    active = [v for v in template.variants if v.active]
    family = len(template.variants) > 1 or bool(rules.variation_theme and any(v.values for v in active))
    if family and not rules.variation_theme:
        out.problem(template.default_code or f"odoo:product.template:{template.template_id}", None,
                    f"'{template.name}' has {len(template.variants)} variants but no variation theme "
                    "is configured for it")
        return ListingPlan(problems=tuple(out.problems))
    variants = _variant_problems(template, active, rules, family, out)
    parent_sku = (template.default_code or "").strip() if family else ""
    if family and not parent_sku:
        out.problem(f"odoo:product.template:{template.template_id}", None,
                    f"'{template.name}' has no internal reference: the variation family's parent "
                    "SKU is the template's internal reference, set one in Odoo")
        return ListingPlan(problems=tuple(out.problems))
    for mid in rules.marketplace_ids:
        by_id(mid)  # an unknown marketplace is a configuration error: KeyError names it
        here = [_draft(template, rules, v, mid, family, parent_sku, asins, prices) for v in variants]
        if any(d.role == "child" and not d.offer_only for d in here):
            attrs = _common(template, rules, mid, _title(template, None, mid))
            attrs["parentage_level"] = _plain("parent", mid)
            attrs["variation_theme"] = [{"name": rules.variation_theme}]
            here.insert(0, ListingDraft(sku=parent_sku, marketplace_id=mid,
                                        product_type=rules.product_type, requirements="LISTING",
                                        role="parent", attributes=attrs,
                                        odoo_template_id=template.template_id))
        out.drafts.extend(here)
    return _finish(out, template, rules, list(published), schemas)


def _finish(out: _Collector, template: OdooTemplate, rules: ListingRules,
            published: list[PublishedListing],
            schemas: Mapping[tuple[str, str, str], ListingSchema] | None) -> ListingPlan:
    before = {(p.sku, p.marketplace_id): p for p in published}
    publish: list[ListingDraft] = []
    unchanged: list[tuple[str, str]] = []
    failed_skus = {p.sku for p in out.problems}
    for draft in out.drafts:
        schema = (schemas or {}).get((draft.product_type, draft.marketplace_id, draft.requirements))
        found = schema.validate(draft.attributes) if schema is not None else ()
        if found:
            failed_skus.add(draft.sku)
            for p in found:
                out.problem(draft.sku, draft.marketplace_id,
                            f"{draft.sku} on {by_id(draft.marketplace_id).name}: {p.message}",
                            *((p.attribute,) if p.attribute else ()))
            continue
        known = before.get((draft.sku, draft.marketplace_id))
        if known is not None and known.fingerprint == draft.fingerprint:
            unchanged.append((draft.sku, draft.marketplace_id))
            continue
        publish.append(draft)
    # What Amazon has and this plan no longer lists is retired: a variant archived or removed in
    # Odoo, a marketplace dropped from the rules, a parent no child needs. A SKU that failed a
    # check this time stays as it is: retiring it would take a selling offer down over a typo.
    current = {(d.sku, d.marketplace_id) for d in out.drafts}
    skus = {(v.default_code or "").strip() for v in template.variants if v.active}
    keep_parent = bool(skus & failed_skus)  # its children are only held back, not gone
    retire = [ListingRetirement(sku=p.sku, marketplace_id=p.marketplace_id,
                                reason=_retire_reason(p, template, rules))
              for p in published if (p.sku, p.marketplace_id) not in current and p.sku not in failed_skus
              and not (p.role == "parent" and keep_parent and p.marketplace_id in rules.marketplace_ids)]
    return ListingPlan(publish=tuple(publish),
                       retire=tuple(sorted(retire, key=lambda r: (r.marketplace_id, r.sku))),
                       problems=tuple(out.problems), unchanged=tuple(unchanged))


def _retire_reason(p: PublishedListing, template: OdooTemplate, rules: ListingRules) -> str:
    if p.marketplace_id not in rules.marketplace_ids:
        return f"'{template.name}' is no longer listed on {by_id(p.marketplace_id).name}"
    if p.role == "parent":
        return f"'{template.name}' has no variant left that needs the variation family"
    return f"the variant {p.sku} of '{template.name}' was archived or removed in Odoo"
