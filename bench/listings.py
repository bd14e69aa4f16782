"""Listings (issue #17), part 1: 10,000 SKUs validated locally against their product types.

A catalogue of Odoo products (T-shirt templates of 6 variants in a SIZE/COLOR family, and single
kitchen products) is planned into listings for Amazon.de and Amazon.fr (mapping.listings, with
prices from mapping.prices), then every listing is validated against its Product Type Definition's
JSON Schema (mapping.listing_schema; the simulator's schemas, in Amazon's shape). A share of the
products is broken on purpose (no brand, a weight of 0, a colour missing) so the wording path of
invalid listings is measured too. Prints the time of the validation alone (target: 10,000 SKUs in
at most 10 s), of planning plus validation, of compiling the schemas, and what was refused.

Usage: ``python bench/listings.py [--skus 10000] [--broken-percent 2]``.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from decimal import Decimal

from amazon_odoo_sync.mapping.listing_schema import ListingSchema, compile_schema
from amazon_odoo_sync.mapping.listings import (
    ListingDraft,
    ListingRules,
    OdooTemplate,
    OdooValue,
    OdooVariant,
    plan_listings,
)
from amazon_odoo_sync.mapping.prices import PriceUpdate
from amazon_odoo_sync.marketplaces import by_code
from amazon_odoo_sync.sandbox.spapi.product_types import product_type_schema

DE, FR = by_code("DE").id, by_code("FR").id
MIDS = (DE, FR)
COLORS = {"Blue": {"de_DE": "Blau", "fr_FR": "Bleu"}, "Red": {"de_DE": "Rot", "fr_FR": "Rouge"},
          "Green": {"de_DE": "Grün", "fr_FR": "Vert"}}
SIZES = ("M", "L")


def _ean(n: int) -> str:
    body = f"40{n:010d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def catalogue(skus: int, broken_percent: float, rng: random.Random
              ) -> list[tuple[OdooTemplate, ListingRules]]:
    """Templates and their rules giving about ``skus`` listings over both marketplaces."""
    out: list[tuple[OdooTemplate, ListingRules]] = []
    n = listings = 0
    while listings < skus:
        n += 1
        broken = rng.random() * 100 < broken_percent
        if n % 3:  # a T-shirt family: 6 children + 1 parent per marketplace
            variants = []
            for c, (color, names) in enumerate(COLORS.items()):
                for s, size in enumerate(SIZES):
                    values = (OdooValue(attribute="Color", name=color, translations=names),
                              OdooValue(attribute="Size", name=size))
                    variants.append(OdooVariant(product_id=n * 10 + c * 2 + s,
                                                default_code=f"TEE{n}-{color[0]}{size}",
                                                barcode=_ean(n * 10 + c * 2 + s), values=values))
            template = OdooTemplate(template_id=n, name=f"T-Shirt {n}", default_code=f"TEE{n}",
                                    description="Organic cotton, regular fit",
                                    name_translations={"fr_FR": f"Tee-shirt {n}"},
                                    description_translations={"de_DE": "Bio-Baumwolle, normale Passform"},
                                    variants=tuple(variants))
            rules = ListingRules(product_type="SHIRT", marketplace_ids=MIDS, variation_theme="SIZE/COLOR",
                                 attribute_map={"Color": "color", "Size": "size"},
                                 constants={} if broken else {"brand": "Acme",
                                                              "bullet_point": ("Organic", "Soft", "Durable")})
            listings += 7 * len(MIDS)
        else:
            weight = Decimal(0) if broken else Decimal(rng.randint(100, 2000)) / 1000
            variant = OdooVariant(product_id=n * 10, default_code=f"MUG{n}", barcode=_ean(n * 10),
                                  weight_kg=weight if weight else Decimal("0.001"))
            template = OdooTemplate(template_id=n, name=f"Mug {n}", default_code=f"MUG{n}",
                                    name_translations={"de_DE": f"Becher {n}"}, variants=(variant,))
            rules = ListingRules(product_type="KITCHEN", marketplace_ids=MIDS,
                                 constants={"brand": "Acme", "material": "Porcelain"})
            listings += len(MIDS)
        out.append((template, rules))
    return out


def prices_for(template: OdooTemplate) -> dict[tuple[str, str], PriceUpdate]:
    return {(v.default_code or "", mid): PriceUpdate(sku=v.default_code or "", marketplace_id=mid,
                                                     currency="EUR", price=Decimal("19.99"))
            for v in template.variants for mid in MIDS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skus", type=int, default=10_000, help="listings to validate (default 10000)")
    parser.add_argument("--broken-percent", type=float, default=2.0,
                        help="share of products broken on purpose (default 2)")
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    t0 = time.perf_counter()
    schemas: dict[tuple[str, str, str], ListingSchema] = {}
    for pt in ("SHIRT", "KITCHEN"):
        for mid in MIDS:
            for req in ("LISTING", "LISTING_OFFER_ONLY"):
                schemas[(pt, mid, req)] = compile_schema(product_type_schema(pt, mid, requirements=req),
                                                         product_type=pt, marketplace_id=mid, requirements=req)
    compile_s = time.perf_counter() - t0
    items = catalogue(args.skus, args.broken_percent, rng)

    # Planning (no schema), then the validation alone: the figure the target is about.
    t0 = time.perf_counter()
    drafts: list[ListingDraft] = []
    for template, rules in items:
        drafts.extend(plan_listings(template, rules, asins={}, prices=prices_for(template)).publish)
    plan_s = time.perf_counter() - t0
    drafts = drafts[:args.skus]
    refused: Counter[str] = Counter()
    t0, cpu0 = time.perf_counter(), time.process_time()
    invalid = 0
    for d in drafts:
        problems = schemas[(d.product_type, d.marketplace_id, d.requirements)].validate(d.attributes)
        if problems:
            invalid += 1
            refused.update(p.message for p in problems)
    validate_s, validate_cpu = time.perf_counter() - t0, time.process_time() - cpu0

    n = len(drafts)
    print(f"{n:,} SKUs validated locally in {validate_s:.2f} s ({validate_s / n * 1e6:.0f} µs per SKU, "
          f"CPU {validate_cpu:.2f} s; target ≤ 10 s: {'met' if validate_s <= 10 else 'MISSED'})")
    print(f"  planning {n:,} listings from {len(items):,} Odoo templates: {plan_s:.2f} s; "
          f"plan + validate {plan_s + validate_s:.2f} s; {len(schemas)} schemas compiled in "
          f"{compile_s * 1000:.0f} ms")
    print(f"  {invalid:,} refused locally ({invalid / n:.1%}), {sum(refused.values()):,} problems; most common:")
    for message, count in refused.most_common(3):
        print(f"    {count:>5} × {message}")


if __name__ == "__main__":
    main()
