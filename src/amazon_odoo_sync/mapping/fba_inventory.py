"""FBA inventory, pure: Amazon's figures per location kind, and the Odoo adjustments they need.

Each FBA fulfilment network (``Marketplace.fba_network``: the pan-European pool "EU", "UK",
"US", "CA"...) is one Odoo warehouse ("Amazon FBA EU"). Inside it every seller account has its
own location per kind (:func:`location_barcode`, :func:`location_name`): two accounts selling in
one network never share stock. The account's Fulfillable location is a child of the warehouse's
stock location (``lot_stock_id``), where FBA deliveries of imported orders take their units from;
the other kinds are outside it (not sellable) but under the warehouse's view location, so stock
in transit to Amazon (inbound working / shipped / receiving), reserved, researching and
unfulfillable units are visible in the warehouse without being sold.

Adjustments are the differences only: a kind whose Odoo quantity equals Amazon's is not
touched, so re-applying the same figures changes nothing.

FBA orders that Amazon shipped but Odoo has not imported yet (order reservations with status
Shipped) left Amazon's fulfillable already, and Odoo takes them off its Fulfillable location when
it imports them: :func:`with_unimported_shipments` adds them back to Odoo's target so that the
import lands exactly on Amazon's figure.

Drift (:func:`drift`): per SKU, what Odoo expects Amazon to hold (its total in the account's FBA
locations: the last figures applied, minus FBA sales imported since, plus transfers the seller
sent into the inbound locations; minus the units of shipped orders not imported yet) against
Amazon's total of every kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ..exceptions import DataError
from ..inventory import DriftLine

__all__ = [
    "KINDS",
    "SELLABLE_KIND",
    "Adjustment",
    "DriftLine",
    "FbaQuantities",
    "Kind",
    "adjustments",
    "drift",
    "expected_totals",
    "from_notification",
    "from_summary",
    "location_barcode",
    "location_name",
    "with_unimported_shipments",
    "zero_missing",
]

Kind = Literal["fulfillable", "inbound_working", "inbound_shipped", "inbound_receiving", "reserved",
               "researching", "unfulfillable"]
KINDS: tuple[Kind, ...] = ("fulfillable", "inbound_working", "inbound_shipped", "inbound_receiving",
                           "reserved", "researching", "unfulfillable")
_LABELS: dict[Kind, str] = {
    "fulfillable": "Fulfillable", "inbound_working": "Inbound Working",
    "inbound_shipped": "Inbound Shipped", "inbound_receiving": "Inbound Receiving",
    "reserved": "Reserved", "researching": "Researching", "unfulfillable": "Unfulfillable",
}


#: The kind Odoo sells from: its location is a child of the FBA warehouse's ``lot_stock_id``.
SELLABLE_KIND: Kind = "fulfillable"


def location_name(account: str, kind: Kind) -> str:
    """"acme-eu Fulfillable": readable in Odoo's location lists (the warehouse names the network)."""
    return f"{account} {_LABELS[kind]}"


def location_barcode(account: str, network: str, kind: Kind) -> str:
    """Unique per company in Odoo: makes creating the location idempotent. One per (account,
    network, kind); "/" cannot occur in an account name, so no two triples give one barcode."""
    return f"AOS-FBA/{network}/{account}/{kind.upper().replace('_', '-')}"


@dataclass(frozen=True, kw_only=True)
class FbaQuantities:
    """Amazon's figures for one SKU in one fulfilment network."""

    sku: str
    asin: str | None
    fnsku: str | None
    quantities: Mapping[Kind, int]
    updated: str | None = None

    @property
    def total(self) -> int:
        return sum(self.quantities.values())


def _int(value: Any, what: str, sku: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DataError(f"FBA inventory of {sku}: {what} is not a number ({value!r})")
    try:
        decimal = Decimal(str(value))
        if not decimal.is_finite():  # int() raises ValueError on NaN, not an ArithmeticError
            raise DataError(f"FBA inventory of {sku}: {what} is not a number ({value!r})")
        # Bounded before int(): int(Decimal("1e999999")) builds a million-digit number.
        if decimal.adjusted() > 12:
            raise DataError(f"FBA inventory of {sku}: {what} is out of range ({value!r})")
        number = int(decimal)
    except ArithmeticError as exc:
        raise DataError(f"FBA inventory of {sku}: {what} is not a number ({value!r})") from exc
    if number < 0:
        raise DataError(f"FBA inventory of {sku}: {what} is negative ({number})")
    return number


def _total(value: Any, key: str, what: str, sku: str) -> int:
    if isinstance(value, Mapping):
        return _int(value.get(key), what, sku)
    return _int(value, what, sku)


def from_summary(summary: Mapping[str, Any]) -> FbaQuantities:
    """One ``InventorySummary`` of getInventorySummaries (``details=true``)."""
    if not isinstance(summary, Mapping):
        raise DataError(f"FBA inventory summary: expected an object, got {type(summary).__name__}")
    sku = summary.get("sellerSku")
    if not isinstance(sku, str) or not sku:
        raise DataError("FBA inventory summary without sellerSku", details={"summary": dict(summary)})
    details = summary.get("inventoryDetails")
    if not isinstance(details, Mapping):
        raise DataError(f"FBA inventory summary of {sku} has no inventoryDetails (ask with details=true)")
    quantities: dict[Kind, int] = {
        "fulfillable": _int(details.get("fulfillableQuantity"), "fulfillableQuantity", sku),
        "inbound_working": _int(details.get("inboundWorkingQuantity"), "inboundWorkingQuantity", sku),
        "inbound_shipped": _int(details.get("inboundShippedQuantity"), "inboundShippedQuantity", sku),
        "inbound_receiving": _int(details.get("inboundReceivingQuantity"), "inboundReceivingQuantity",
                                  sku),
        "reserved": _total(details.get("reservedQuantity"), "totalReservedQuantity", "reservedQuantity",
                           sku),
        "researching": _total(details.get("researchingQuantity"), "totalResearchingQuantity",
                              "researchingQuantity", sku),
        "unfulfillable": _total(details.get("unfulfillableQuantity"), "totalUnfulfillableQuantity",
                                "unfulfillableQuantity", sku),
    }
    return FbaQuantities(sku=sku, asin=summary.get("asin"), fnsku=summary.get("fnSku"),
                         quantities=quantities, updated=summary.get("lastUpdatedTime"))


def from_notification(payload: Mapping[str, Any], marketplace_id: str) -> FbaQuantities | None:
    """FBA_INVENTORY_AVAILABILITY_CHANGES ``Payload`` → figures for ``marketplace_id`` (None when
    the notification has none for it)."""
    if not isinstance(payload, Mapping):
        raise DataError(f"FBA_INVENTORY_AVAILABILITY_CHANGES: Payload must be an object, not {type(payload).__name__}")
    sku = payload.get("SKU")
    if not isinstance(sku, str) or not sku:
        raise DataError("FBA_INVENTORY_AVAILABILITY_CHANGES without SKU")
    by_market = payload.get("FulfillmentInventoryByMarketplace")
    if not isinstance(by_market, list):
        raise DataError(f"FBA_INVENTORY_AVAILABILITY_CHANGES of {sku} without "
                        "FulfillmentInventoryByMarketplace")
    for entry in by_market:
        if not isinstance(entry, Mapping) or entry.get("MarketplaceId") != marketplace_id:
            continue
        inv = entry.get("FulfillmentInventory")
        if not isinstance(inv, Mapping):
            raise DataError(f"FBA_INVENTORY_AVAILABILITY_CHANGES of {sku}: no FulfillmentInventory")
        inbound = inv.get("InboundQuantityBreakdown") or {}
        reserved = inv.get("ReservedQuantityBreakdown") or {}
        if not isinstance(inbound, Mapping) or not isinstance(reserved, Mapping):
            raise DataError(f"FBA_INVENTORY_AVAILABILITY_CHANGES of {sku}: malformed breakdowns")
        quantities: dict[Kind, int] = {
            "fulfillable": _int(inv.get("Fulfillable"), "Fulfillable", sku),
            "inbound_working": _int(inbound.get("Working"), "Working", sku),
            "inbound_shipped": _int(inbound.get("Shipped"), "Shipped", sku),
            "inbound_receiving": _int(inbound.get("Receiving"), "Receiving", sku),
            "reserved": sum(_int(v, f"Reserved {k}", sku) for k, v in reserved.items()),
            "researching": _int(inv.get("Researching"), "Researching", sku),
            "unfulfillable": _int(inv.get("Unfulfillable"), "Unfulfillable", sku),
        }
        return FbaQuantities(sku=sku, asin=payload.get("ASIN"), fnsku=payload.get("FNSKU"),
                             quantities=quantities)
    return None


@dataclass(frozen=True, kw_only=True)
class Adjustment:
    """One (SKU, kind) location of Odoo set from ``odoo_quantity`` to ``amazon_quantity``
    (Amazon's figure; for fulfillable plus the units of shipped orders Odoo has not imported)."""

    sku: str
    kind: Kind
    odoo_quantity: Decimal
    amazon_quantity: int

    @property
    def delta(self) -> Decimal:
        return Decimal(self.amazon_quantity) - self.odoo_quantity


def adjustments(amazon: Iterable[FbaQuantities],
                odoo: Mapping[tuple[str, Kind], Decimal]) -> list[Adjustment]:
    """Inventory adjustments that make Odoo's FBA locations equal Amazon's figures (differences
    only). A SKU Odoo has in FBA locations but Amazon did not report is left alone: absence from
    one pull is not proof of zero (use ``full`` pulls and :func:`zero_missing` for that)."""
    result = []
    for item in sorted(amazon, key=lambda q: q.sku):
        for kind in KINDS:
            have = Decimal(odoo.get((item.sku, kind), Decimal(0)))
            want = item.quantities.get(kind, 0)
            if have != want:
                result.append(Adjustment(sku=item.sku, kind=kind, odoo_quantity=have,
                                         amazon_quantity=want))
    return result


def zero_missing(reported_skus: Iterable[str], odoo: Mapping[tuple[str, Kind], Decimal]
                 ) -> list[Adjustment]:
    """After a complete pull: Odoo FBA stock of SKUs Amazon no longer reports goes to 0."""
    reported = set(reported_skus)
    return [Adjustment(sku=sku, kind=kind, odoo_quantity=Decimal(qty), amazon_quantity=0)
            for (sku, kind), qty in sorted(odoo.items()) if sku not in reported and qty != 0]


def with_unimported_shipments(amazon: Iterable[FbaQuantities], shipped: Mapping[str, int]
                              ) -> list[FbaQuantities]:
    """Amazon's figures with the units of shipped orders Odoo has not imported yet added back
    to fulfillable (``shipped``: SKU → units): Odoo's targets. Amazon's fulfillable excludes
    them already and Odoo subtracts them when it imports the orders, so without this Odoo would
    end below Amazon until the next pull."""
    result = []
    for item in amazon:
        extra = shipped.get(item.sku, 0)
        if extra:
            quantities = dict(item.quantities)
            quantities[SELLABLE_KIND] = quantities.get(SELLABLE_KIND, 0) + extra
            item = replace(item, quantities=quantities)
        result.append(item)
    return result


def expected_totals(odoo: Mapping[tuple[str, Kind], Decimal], shipped: Mapping[str, int],
                    skus: Iterable[str] = ()) -> dict[str, Decimal]:
    """What Odoo expects Amazon to report per SKU (every kind): its quantities in the account's
    FBA locations, less the units of shipped orders it has not imported yet (Amazon no longer
    counts them; Odoo will subtract them on import). ``skus`` are included even with nothing in
    Odoo (expected 0)."""
    totals: dict[str, Decimal] = {sku: Decimal(0) for sku in skus}
    for (sku, _kind), qty in odoo.items():
        totals[sku] = totals.get(sku, Decimal(0)) + Decimal(qty)
    return {sku: total - shipped.get(sku, 0) for sku, total in totals.items()}


def drift(expected: Mapping[str, Decimal], reported: Iterable[FbaQuantities], *,
          tolerance: Decimal | int = 0, at: datetime | None = None) -> list[DriftLine]:
    """SKUs whose Amazon total differs from what Odoo expects (:func:`expected_totals`) by more
    than ``tolerance`` units; SKUs on one side only count as 0 on the other."""
    totals = {q.sku: q.total for q in reported}
    limit = Decimal(tolerance)
    lines = []
    for sku in sorted(set(expected) | set(totals)):
        want = Decimal(expected.get(sku, Decimal(0)))
        have = totals.get(sku, 0)
        if abs(Decimal(have) - want) > limit:
            lines.append(DriftLine(sku=sku, expected=want, reported=have, at=at))
    return lines

