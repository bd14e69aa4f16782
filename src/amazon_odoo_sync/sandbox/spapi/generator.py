"""Deterministic catalog and order arrivals from a scenario and a seed.

Arrivals are a non-homogeneous Poisson process over simulated time: for each UTC hour the
expected count is ``per_day × weight(hour) / Σweights × bursts(hour)``; the count and the
arrival instants of hour *h* come from ``Random(f"{seed}:{seller}:{h}")`` alone, and each
order's contents from ``Random(f"{seed}:{seller}:{h}:{k}")``, so the same seed gives the same
orders whatever the pace of the clock. What is *bought* also depends on the world's stock at
that moment (a buyer cannot buy an offer at quantity 0, except with ``oversell_probability``),
which is the point: stock sync quality shows in the results.

The generator plans lazily, an hour at a time, as :meth:`World.advance_to` asks for it.
"""

from __future__ import annotations

import heapq
import math
import random
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from ...marketplaces import by_id
from .scenario import Scenario
from .world import (
    Address,
    Buyer,
    FbaInventory,
    Lifecycle,
    Offer,
    Order,
    OrderLine,
    Product,
    Seller,
    World,
    fulfillment_network,
    money,
)

__all__ = ["FX", "OrderGenerator", "build_catalog", "build_world", "poisson"]

#: Rough value of one EUR per currency, to give prices a local look.
FX: dict[str, Decimal] = {
    "EUR": Decimal(1), "USD": Decimal("1.1"), "GBP": Decimal("0.85"), "CAD": Decimal("1.5"),
    "MXN": Decimal(20), "BRL": Decimal(6), "JPY": Decimal(160), "SEK": Decimal(11),
    "PLN": Decimal("4.3"), "TRY": Decimal(35), "AED": Decimal(4), "SAR": Decimal(4),
    "EGP": Decimal(50), "INR": Decimal(90), "AUD": Decimal("1.65"), "SGD": Decimal("1.45"),
}

_ADJ = ("Classic", "Premium", "Compact", "Eco", "Deluxe", "Smart", "Travel", "Pro", "Mini", "Ultra")
_NOUN = ("Water Bottle", "Backpack", "Desk Lamp", "Yoga Mat", "Coffee Mug", "Headphones",
         "Phone Case", "Notebook", "Chef Knife", "Running Socks", "Tea Set", "Bike Light")
_COLORS = ("Black", "Blue", "Red", "Green", "White")
_SIZES = ("S", "M", "L", "XL")
_FIRST = ("Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ines", "Jonas",
          "Karin", "Luca", "Maria", "Noah", "Olivia", "Paul", "Rosa", "Sam", "Tara", "Yusuf")
_LAST = ("Smith", "Müller", "Martin", "Rossi", "García", "Jones", "Schmidt", "Bernard", "Bianchi",
         "López", "Taylor", "Weber", "Dubois", "Romano", "Brown", "Fischer", "Moreau", "Costa")
#: country → (cities with (city, state/region, postal code pattern), street word, phone prefix)
_PLACES: dict[str, tuple[tuple[tuple[str, str, str], ...], str, str]] = {
    "US": ((("Seattle", "WA", "981##"), ("Austin", "TX", "787##"), ("Denver", "CO", "802##"),
            ("Boston", "MA", "021##")), "{n} {w} St", "+1 206 555 ####"),
    "CA": ((("Toronto", "ON", "M5V #A#"), ("Vancouver", "BC", "V6B #B#")), "{n} {w} Ave",
           "+1 416 555 ####"),
    "GB": ((("Manchester", "England", "M1 #AB"), ("Leeds", "England", "LS1 #CD"),
            ("Glasgow", "Scotland", "G1 #EF")), "{n} {w} Road", "+44 161 ### ####"),
    "DE": ((("Berlin", "Berlin", "10###"), ("München", "Bayern", "80###"),
            ("Hamburg", "Hamburg", "20###")), "{w}straße {n}", "+49 30 #######"),
    "FR": ((("Paris", "Île-de-France", "750##"), ("Lyon", "Auvergne-Rhône-Alpes", "690##")),
           "{n} rue {w}", "+33 1 ## ## ## ##"),
    "IT": ((("Milano", "MI", "201##"), ("Roma", "RM", "001##")), "Via {w} {n}",
           "+39 02 #######"),
    "ES": ((("Madrid", "Madrid", "280##"), ("Barcelona", "Barcelona", "080##")),
           "Calle {w} {n}", "+34 91 ### ####"),
}
_STREETS = ("Linden", "Oak", "Maple", "Garden", "Park", "Mill", "Church", "Station", "Lake")
_VAT_PREFIX = {"DE": "DE", "FR": "FR", "IT": "IT", "ES": "ES", "GB": "GB", "NL": "NL"}


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth for small means, a rounded normal for large ones)."""
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _fill(rng: random.Random, pattern: str) -> str:
    return "".join(str(rng.randrange(10)) if c == "#" else c for c in pattern)


def _asin(rng: random.Random) -> str:
    return "B0" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(8))


def build_catalog(world: World, seller: Seller, scenario: Scenario) -> None:
    """Products, offers in every marketplace of ``seller``, and FBA inventory, from the seed."""
    spec = scenario.catalog
    rng = random.Random(f"{scenario.seed}:catalog:{seller.seller_id}")
    made = 0
    n_group = 0
    while made < spec.products:
        n_group += 1
        title = f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"
        base = Decimal(rng.uniform(float(spec.price_min), float(spec.price_max))).quantize(
            Decimal("0.01"))
        children: list[Product] = []
        if rng.random() < spec.variation_share and spec.products - made >= 2:
            parent = world.add_product(Product(asin=_asin(rng), title=title, is_parent=True,
                                               variation_theme="SizeColor"))
            for color in rng.sample(_COLORS, k=min(2, spec.products - made)):
                size = rng.choice(_SIZES)
                children.append(world.add_product(Product(
                    asin=_asin(rng), title=f"{title}, {color}, {size}", parent_asin=parent.asin,
                    variation_theme="SizeColor", variation=(("color", color), ("size", size)))))
        else:
            children.append(world.add_product(Product(asin=_asin(rng), title=title)))
        for product in children:
            made += 1
            sku = f"SIM-{seller.seller_id[-4:]}-{made:05d}"
            roll = rng.random()
            channels: list[tuple[str, str]] = (
                [(sku, "AFN")] if roll < spec.fba_share
                else [(sku, "MFN"), (sku + "-FBA", "AFN")] if roll < spec.fba_share + spec.dual_share
                else [(sku, "MFN")])
            business = rng.random() < 0.3
            for mp_id in seller.marketplace_ids:
                mp = by_id(mp_id)
                price = money(base * FX.get(mp.currency, Decimal(1)), mp.currency)
                if mp.currency != "JPY" and price > 1:
                    price = price.to_integral_value() - Decimal("0.01")  # x.99 prices
                for offer_sku, channel in channels:
                    world.add_offer(Offer(
                        seller_id=seller.seller_id, marketplace_id=mp_id, sku=offer_sku,
                        asin=product.asin, channel=channel,  # type: ignore[arg-type]
                        price=price, currency=mp.currency,
                        quantity=spec.fbm_quantity if channel == "MFN" else 0,
                        business_price=money(price * Decimal("0.95"), mp.currency) if business
                        else None))
            for offer_sku, channel in channels:
                if channel != "AFN":
                    continue
                for network in sorted({fulfillment_network(m) for m in seller.marketplace_ids}):
                    if world._fba.get((seller.seller_id, network, offer_sku)):
                        continue
                    world.add_fba_inventory(FbaInventory(
                        seller_id=seller.seller_id, network=network, sku=offer_sku,
                        asin=product.asin, fnsku="X00" + "".join(
                            rng.choice(string.ascii_uppercase + string.digits) for _ in range(7)),
                        fulfillable=spec.fba_quantity,
                        inbound_working=rng.choice((0, 0, 10, 20)),
                        inbound_shipped=rng.choice((0, 0, 0, 24)),
                        inbound_receiving=rng.choice((0, 0, 0, 6)),
                        reserved_fc_processing=rng.choice((0, 1, 2)),
                        reserved_pending_transshipment=rng.choice((0, 0, 3)),
                        unfulfillable_customer_damaged=rng.choice((0, 0, 1)),
                        unfulfillable_warehouse_damaged=rng.choice((0, 0, 0, 1))))


@dataclass(frozen=True, kw_only=True)
class _Plan:
    at: datetime
    seller_id: str
    marketplace_id: str
    key: str  # seeds the contents


class OrderGenerator:
    """The world's :class:`~.world.OrderSource` for a scenario."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.start = scenario.start.replace(minute=0, second=0, microsecond=0)
        self.end = scenario.start + timedelta(days=scenario.days)
        self._next_hour = 0
        self._heap: list[tuple[float, int, _Plan]] = []
        self._n = 0
        self.planned = 0
        self.placed = 0
        self.lost = 0  # planned buyers who found nothing in stock

    def _plan_hour(self, world: World) -> None:
        h = self._next_hour
        self._next_hour += 1
        hour_start = self.start + timedelta(hours=h)
        spec = self.scenario.orders
        weights = spec.hourly_weights
        share = weights[hour_start.hour] / sum(weights)
        mult = spec.rate_multiplier((hour_start - self.scenario.start).total_seconds() / 3600)
        for seller in world.sellers.values():
            rng = random.Random(f"{self.scenario.seed}:{seller.seller_id}:{h}")
            count = poisson(rng, spec.per_day * share * mult)
            for k in range(count):
                at = hour_start + timedelta(seconds=rng.randrange(3600))
                if at < self.scenario.start or at >= self.end:
                    continue
                mp = rng.choice(seller.marketplace_ids)
                plan = _Plan(at=at, seller_id=seller.seller_id, marketplace_id=mp,
                             key=f"{self.scenario.seed}:{seller.seller_id}:{h}:{k}")
                self._n += 1
                heapq.heappush(self._heap, (at.timestamp(), self._n, plan))
                self.planned += 1

    def next_time(self, limit: datetime) -> datetime | None:
        raise NotImplementedError  # replaced per world in bind()

    def bind(self, world: World) -> OrderGenerator:
        """Attach to ``world`` (sets ``world.source``)."""
        limit_hours = math.ceil((self.end - self.start).total_seconds() / 3600)

        def next_time(limit: datetime) -> datetime | None:
            while True:
                hour_start = self.start + timedelta(hours=self._next_hour)
                head = self._heap[0][0] if self._heap else None
                if self._next_hour >= limit_hours or (head is not None
                                                      and head < hour_start.timestamp()):
                    break
                if hour_start > limit:
                    break
                self._plan_hour(world)
            if self._heap and self._heap[0][2].at <= limit:
                return self._heap[0][2].at
            return None

        self.next_time = next_time  # type: ignore[method-assign]
        world.source = self
        return self

    def place_next(self, world: World) -> Order | None:
        _, _, plan = heapq.heappop(self._heap)
        order = self._place(world, plan)
        if order is None:
            self.lost += 1
        else:
            self.placed += 1
        return order

    def _place(self, world: World, plan: _Plan) -> Order | None:
        spec = self.scenario.orders
        rng = random.Random(plan.key)
        offers = list(world.offers(plan.seller_id, plan.marketplace_id))
        if not offers:
            return None
        allow_oversell = rng.random() < spec.oversell_probability

        def buyable(o: Offer) -> bool:
            if o.status != "BUYABLE":
                return False
            if o.channel == "MFN":
                return o.quantity > 0 or allow_oversell
            inv = world.fba_inventory(o.seller_id, o.marketplace_id, o.sku)
            return inv is not None and inv.fulfillable > 0

        first = rng.choice(offers)
        if not buyable(first):
            candidates = [o for o in offers if buyable(o)]
            if not candidates:
                return None
            first = candidates[rng.randrange(len(candidates))]
        n_lines = 1 + sum(rng.random() < 0.25 for _ in range(spec.max_lines - 1))
        chosen = [first]
        same = [o for o in offers if o.channel == first.channel and o is not first and buyable(o)]
        rng.shuffle(same)
        chosen += same[: n_lines - 1]
        mp = by_id(plan.marketplace_id)
        business = rng.random() < spec.business_share
        gift = rng.random() < spec.gift_share
        lines = []
        for n, offer in enumerate(chosen):
            qty = 1 + sum(rng.random() < 0.2 for _ in range(spec.max_quantity - 1))
            if offer.channel == "AFN":
                inv = world.fba_inventory(offer.seller_id, offer.marketplace_id, offer.sku)
                qty = min(qty, inv.fulfillable) if inv else qty
            shipping = (Decimal(0) if offer.channel == "AFN" or rng.random() < 0.5
                        else money(Decimal("3.99") * FX.get(mp.currency, Decimal(1)), mp.currency))
            promo = rng.random() < spec.promotion_share
            unit = offer.business_price if business and offer.business_price else offer.price
            lines.append(OrderLine(
                sku=offer.sku, quantity=qty, shipping_price=shipping,
                promotion_discount=money(unit * qty * Decimal("0.10"), mp.currency) if promo
                else Decimal(0),
                promotion_id=f"PROMO-{mp.code}-{rng.randrange(1, 5)}" if promo else None,
                gift_wrap_price=money(Decimal("2.99") * FX.get(mp.currency, Decimal(1)),
                                      mp.currency) if gift and n == 0 else None,
                gift_message="Happy birthday!" if gift and n == 0 else None))
        buyer, address = _person(rng, mp.country_code, mp.domain, business)
        cancel_after: float | None = None
        if rng.random() < spec.cancellation_rate:
            pending = spec.pending_minutes * 60
            cancel_after = rng.uniform(30, max(60.0, pending - 30)) if rng.random() < 0.6 \
                else pending + rng.uniform(60, 3 * 3600)
        return world.place_order(
            plan.seller_id, plan.marketplace_id, lines, buyer=buyer, address=address,
            at=plan.at, is_business=business, is_prime=first.channel == "AFN",
            category="Expedited" if rng.random() < spec.expedited_share else "Standard",
            cancel_after=cancel_after, pending_seconds=spec.pending_minutes * 60)


def _person(rng: random.Random, country: str, domain: str, business: bool) -> tuple[Buyer, Address]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    places = _PLACES.get(country) or _PLACES["US"]
    city, state, postal = rng.choice(places[0])
    street = places[1].format(n=rng.randrange(1, 200), w=rng.choice(_STREETS))
    company = f"{last} {rng.choice(('GmbH', 'SARL', 'Ltd', 'S.r.l.', 'LLC'))}" if business else None
    token = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(14))
    vat = None
    if business and country in _VAT_PREFIX:
        vat = _VAT_PREFIX[country] + "".join(str(rng.randrange(10)) for _ in range(9))
    buyer = Buyer(name=f"{first} {last}", email=f"{token}@marketplace.{domain}", company=company,
                  purchase_order_number=f"PO-{rng.randrange(10000, 99999)}" if business else None,
                  vat_number=vat, tax_country=country if vat else None)
    address = Address(name=f"{first} {last}", company=company, line1=street,
                      line2=f"Apt {rng.randrange(1, 40)}" if rng.random() < 0.2 else None,
                      city=city, state=state, postal_code=_fill(rng, postal),
                      country_code=country if country in _PLACES else country,
                      phone=_fill(rng, places[2]),
                      address_type="Commercial" if business else "Residential")
    return buyer, address


def build_world(scenario: Scenario, *, seed: int | None = None, speed: float | None = None,
                monotonic: object = None) -> World:
    """A world populated from ``scenario`` (sellers, catalog, inventory) with its order source
    attached. ``seed``/``speed`` override the scenario's."""
    import time

    from .clock import SimClock

    if seed is not None and seed != scenario.seed:
        from dataclasses import replace

        scenario = replace(scenario, seed=seed)
    clock = SimClock(scenario.start, speed=scenario.speed if speed is None else speed,
                     monotonic=monotonic if callable(monotonic) else time.monotonic)
    spec = scenario.orders
    world = World(clock, seed=scenario.seed, lifecycle=Lifecycle(
        pending_seconds=int(spec.pending_minutes * 60),
        afn_ship_seconds=int(spec.afn_ship_minutes * 60)))
    for s in scenario.sellers:
        seller = world.add_seller(Seller(seller_id=s.seller_id, name=s.name,
                                         refresh_token=s.refresh_token,
                                         marketplace_ids=s.marketplace_ids))
        build_catalog(world, seller, scenario)
    OrderGenerator(scenario).bind(world)
    return world
