"""A settlement's posting plan, pure: normalized money events + the mapping + the invoice
partner of each order → balanced journal entry chunks and the payout, or :class:`Held`.

Signs: an event's amount is the seller's (positive: Amazon owes it), a line's ``balance`` is
Odoo's (debit positive). A sale's principal of +10 credits the order's receivable (balance −10),
a fee of −2 debits its expense account (+2); the clearing account (what Amazon owes the seller)
takes the sum of the amounts, so every chunk balances on it and the chunks' clearing lines add
up to the payout, which the bank statement line clears.

Lines:

* one receivable line per order (the customer's money: principal, shipping, gift wrap, promotions,
  seller-collected tax), partner = the order's invoice partner, marker ``AMZ-<order>``;
* one refund line per refund adjustment (order and adjustment id; v0 refunds have no id: the
  posting date stands for it), marker ``AMZ-<order>-R<adjustment>``;
* every other role one line per kind (transaction type, amount type, description): fees by
  type, ads, reimbursements, reserve, unmapped kinds;
* marketplace-facilitator tax: with ``pair_facilitator_tax`` (the default) what Amazon
  withheld of an order (or refund) is taken from that order's (refund's) receivable line, where
  it cancels the tax Amazon collected: the receivable is then the order's untaxed money, as its
  Odoo invoice (the orders flow leaves facilitator tax off), and the pair is not booked. Not by
  the tax components' names: Finances v0 calls a promotion on tax like any other promotion
  (PromotionMetaDataDefinitionValue), the report calls it TaxDiscount; the withheld amount is
  the same in both. Facilitator tax without an order, and withheld tax when not paired, is one
  line of its own (omitted when it nets to zero).

Before any of that the events must add up to Amazon's total to the cent and be in the
settlement's currency; otherwise the result is :class:`Held` with the difference, and nothing is
to be written. Lines are sorted, chunks numbered, references built from the settlement key:
the same settlement always gives the same plan whatever the order of its events.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ..exceptions import DataError
from ..settlement_config import AccountRole, SettlementsConfig
from .money_events import MoneyEvent, SettlementHead
from .settlement_accounts import SettlementMapping
from .settlement_report import DateOrder, SettlementReportReader

__all__ = [
    "Held",
    "Payout",
    "PlanChunk",
    "PlanLine",
    "SettlementPlan",
    "UnmappedKind",
    "chunk_ref",
    "payout_ref",
    "plan_report",
    "plan_settlement",
]

ZERO = Decimal(0)
R = AccountRole

_PER_ORDER = (R.RECEIVABLE, R.REFUND)
#: Order of the aggregated lines after the per-order ones (stable, readable entries).
_ROLE_ORDER = {role: position for position, role in enumerate(AccountRole)}


def chunk_ref(key: str, number: int, count: int) -> str:
    """``AMZ-SETTLE:<key>/<number>/<count>``: the entry's ``ref``, searched before creating."""
    return f"AMZ-SETTLE:{key}/{number}/{count}"


def payout_ref(key: str) -> str:
    return f"AMZ-PAYOUT:{key}"


@dataclass(frozen=True, kw_only=True, slots=True)
class PlanLine:
    role: AccountRole
    #: An explicit account code (a mapping rule's); None: the role's account.
    account: str | None
    #: Odoo's balance: debit positive, credit negative.
    balance: Decimal
    label: str
    #: The invoice partner's key (receivable and refund lines of orders the map knows).
    partner: str | None = None
    order_id: str | None = None
    adjustment_id: str | None = None
    #: Matching marker for reconciliation with the invoice or credit note.
    marker: str | None = None
    #: "transaction type / amount type / description" of aggregated kinds.
    kind: str | None = None


@dataclass(frozen=True, kw_only=True)
class PlanChunk:
    """One journal entry: its lines then, unless they balance already, the clearing line."""

    ref: str
    number: int
    count: int
    date: date
    lines: tuple[PlanLine, ...]

    @property
    def clearing(self) -> Decimal:
        """The balance of its clearing line: the sum of the amounts it books."""
        return sum((line.balance for line in self.lines if line.role is R.CLEARING), ZERO)


@dataclass(frozen=True, kw_only=True)
class Payout:
    """The bank statement line: ``amount`` in the bank's currency on the deposit date,
    counterpart the clearing account. When the bank's currency differs from the settlement's,
    ``settlement_amount`` is the foreign amount (Odoo's ``amount_currency``)."""

    ref: str
    date: date
    amount: Decimal
    currency: str
    settlement_amount: Decimal
    settlement_currency: str

    @property
    def converted(self) -> bool:
        return self.currency != self.settlement_currency


@dataclass(frozen=True, kw_only=True)
class UnmappedKind:
    transaction_type: str
    amount_type: str
    amount_description: str
    amount: Decimal
    count: int
    #: Where the first one was read ("row 17"), to find it.
    first_source: str | None
    #: Why it is unmapped: no rule, or a customer's money without an order id.
    reason: str = "no mapping rule"


@dataclass(frozen=True, kw_only=True)
class SettlementPlan:
    key: str
    currency: str
    total: Decimal
    chunks: tuple[PlanChunk, ...]
    payout: Payout | None
    #: Kinds booked on the unmapped account: raise them (quarantine item / alert).
    unmapped: tuple[UnmappedKind, ...]
    events: int
    orders: int
    refunds: int
    #: Orders with customer money but no invoice partner in the map (lines without partner).
    orders_without_partner: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Held:
    """Nothing to post: the settlement stays visible with why."""

    key: str
    reason: str
    #: Amazon's total (None when its summary could not be read).
    expected: Decimal | None
    #: What the events add up to (None when they could not be added: another currency, a row
    #: that could not be read).
    actual: Decimal | None
    #: expected − actual (None likewise).
    difference: Decimal | None
    unmapped: tuple[UnmappedKind, ...]
    events: int
    #: The report row that could not be read (the header is row 1) and its raw text.
    row: int | None = None
    raw: str | None = None


class _Kind:
    __slots__ = ("amount", "count", "first_source")

    def __init__(self, source: str | None) -> None:
        self.amount = ZERO
        self.count = 0
        self.first_source = source


def plan_settlement(head: SettlementHead, events: Iterable[MoneyEvent], mapping: SettlementMapping,
                    partners: Mapping[str, str], config: SettlementsConfig | None = None) -> SettlementPlan | Held:
    """Plan one settlement (see the module's docstring). ``events`` is consumed once, streaming;
    memory grows with the settlement's orders and kinds, not its rows."""
    config = config or SettlementsConfig()
    currency = head.currency
    total = ZERO
    count = 0
    # order → [customer money, facilitator tax withheld]
    orders: dict[str, list[Decimal]] = {}
    refunds: dict[tuple[str, str], list[Decimal]] = {}
    kinds: dict[tuple[AccountRole, str | None, str, str, str], _Kind] = {}
    unmapped: dict[tuple[str, str, str, str], _Kind] = {}
    facilitator: dict[str | None, Decimal] = {}

    # (transaction type, amount type, description) → what to do with its amounts (see _action).
    actions: dict[tuple[str, str, str], tuple[int, AccountRole, str | None, bool]] = {}
    for event in events:
        tt, at, ad, amount, event_currency, posted, order_id, adjustment_id = event[:8]
        count += 1
        if event_currency != currency:
            return Held(key=head.key, events=count, expected=head.total, actual=None, difference=None,
                        unmapped=(), reason=f"{event.source or 'an event'} is in {event_currency}, "
                                            f"the settlement in {currency}")
        total += amount
        kind_key = (tt, at, ad)
        action = actions.get(kind_key)
        if action is None:
            action = actions[kind_key] = _action(mapping, tt, at, ad)
        code, role, account, mapped = action
        if code < _KIND:
            if order_id is not None:
                if code & _REFUND:
                    adjustment = adjustment_id or (posted.strftime("%Y%m%d%H%M%S") if posted else "")
                    bucket = refunds.get((order_id, adjustment))
                    if bucket is None:
                        bucket = refunds[(order_id, adjustment)] = [ZERO, ZERO]
                else:
                    bucket = orders.get(order_id)
                    if bucket is None:
                        bucket = orders[order_id] = [ZERO, ZERO]
                bucket[1 if code & _WITHHELD else 0] += amount
                continue
            if code & _WITHHELD:
                facilitator[account] = facilitator.get(account, ZERO) + amount
                continue
            # A customer's money without an order cannot meet an invoice: booked as unmapped.
            _count(unmapped, (tt, at, ad, "customer money without an order id"), event)
            role, account = R.UNMAPPED, None
        elif not mapped:
            _count(unmapped, (tt, at, ad, "no mapping rule"), event)
        key = (role, account, tt, at, ad)
        kind = kinds.get(key)
        if kind is None:
            kind = kinds[key] = _Kind(event.source)
        kind.amount += amount
        kind.count += 1

    unmapped_kinds = tuple(
        UnmappedKind(transaction_type=tt, amount_type=at, amount_description=ad, amount=k.amount, count=k.count,
                     first_source=k.first_source, reason=reason)
        for (tt, at, ad, reason), k in sorted(unmapped.items(), key=lambda item: item[0]))
    difference = head.total - total
    if difference:
        return Held(key=head.key, events=count, expected=head.total, actual=total, difference=difference,
                    unmapped=unmapped_kinds,
                    reason=f"the events add up to {total} {currency}, Amazon's total is {head.total} {currency}: "
                           f"{difference:+} {currency} unexplained")
    entry_date = head.end or head.deposit_date
    if entry_date is None:
        return Held(key=head.key, events=count, expected=head.total, actual=total, difference=ZERO,
                    unmapped=unmapped_kinds, reason="the settlement has no end date and no deposit date")

    lines: list[PlanLine] = []
    missing_partner: list[str] = []
    pair = config.pair_facilitator_tax
    unpaired = ZERO
    order_count, refund_count = len(orders), len(refunds)
    def book(customer: Decimal, withheld: Decimal, order_id: str, line: dict[str, Any]) -> None:
        """The customer's money of an order (or refund) as one line; withheld facilitator tax on it
        cancels its tax when paired, else it is left for the facilitator line."""
        nonlocal unpaired
        money = customer + withheld if pair else customer
        unpaired += ZERO if pair else withheld
        if not money:
            return
        partner = partners.get(order_id)
        if partner is None:
            missing_partner.append(order_id)
        lines.append(PlanLine(account=None, balance=-money, partner=partner, order_id=order_id, **line))

    # Popped as they become lines: a settlement of many orders is not held twice.
    for order_id in sorted(orders):
        customer, withheld = orders.pop(order_id)
        book(customer, withheld, order_id, {"role": R.RECEIVABLE, "label": f"Amazon order {order_id}",
                                               "marker": f"AMZ-{order_id}"})
    for order_id, adjustment in sorted(refunds):
        customer, withheld = refunds.pop((order_id, adjustment))
        book(customer, withheld, order_id,
             {"role": R.REFUND, "label": f"Amazon refund {order_id} {adjustment}".rstrip(),
              "adjustment_id": adjustment or None, "marker": f"AMZ-{order_id}-R{adjustment}"})
    facilitator[None] = facilitator.get(None, ZERO) + unpaired
    aggregated: list[tuple[tuple[int, str, str, str, str], PlanLine]] = []
    for (role, account, tt, at, ad), kind in kinds.items():
        if kind.amount:
            label = " / ".join(part for part in (tt, at, ad) if part)
            aggregated.append(((_ROLE_ORDER[role], account or "", tt, at, ad),
                               PlanLine(role=role, account=account, balance=-kind.amount, label=label, kind=label)))
    for account, amount in facilitator.items():
        if amount:
            aggregated.append(((_ROLE_ORDER[R.MF_TAX], account or "", "", "", ""),
                               PlanLine(role=R.MF_TAX, account=account, balance=-amount,
                                        label="Marketplace facilitator tax", kind="marketplace facilitator tax")))
    lines.extend(line for _, line in sorted(aggregated, key=lambda item: item[0]))

    chunks = _chunks(head.key, entry_date.date(), lines, config.chunk_lines)
    payout = None
    if head.deposit_date is not None and (head.payout_amount or head.total):
        payout = Payout(ref=payout_ref(head.key), date=head.deposit_date.date(), amount=head.payout_amount,
                        currency=head.payout_currency, settlement_amount=head.total, settlement_currency=currency)
    return SettlementPlan(key=head.key, currency=currency, total=head.total, chunks=chunks, payout=payout,
                          unmapped=unmapped_kinds, events=count, orders=order_count,
                          refunds=refund_count, orders_without_partner=tuple(sorted(set(missing_partner))))


def plan_report(lines: Iterable[str], *, report_key: str, mapping: SettlementMapping, partners: Mapping[str, str],
                config: SettlementsConfig | None = None, date_order: DateOrder | None = None,
                ) -> SettlementPlan | Held:
    """A settlement report V2 (its lines, streamed) planned, or held: also when a row cannot be
    read, with its row number and raw text (nothing of the settlement is then to be written).
    ``report_key`` names the settlement while its summary row is not read (the report id)."""
    key = report_key
    expected: Decimal | None = None
    read = 0

    def counted(events: Iterable[MoneyEvent]) -> Iterator[MoneyEvent]:
        nonlocal read
        for event in events:
            read += 1
            yield event

    try:
        reader = SettlementReportReader(lines, date_order=date_order)
        key, expected = reader.summary.settlement_id, reader.summary.total
        return plan_settlement(reader.summary.head(), counted(reader), mapping, partners, config)
    except DataError as exc:
        row, raw = exc.details.get("row"), exc.details.get("raw")
        return Held(key=key, reason=exc.message, expected=expected, actual=None, difference=None, unmapped=(),
                    events=read, row=row if isinstance(row, int) else None, raw=raw if isinstance(raw, str) else None)


#: Action codes: bits of the per-order cases, then the aggregated kinds.
_REFUND, _WITHHELD, _KIND = 1, 2, 4


def _action(mapping: SettlementMapping, tt: str, at: str, ad: str) -> tuple[int, AccountRole, str | None, bool]:
    """(code, role, account, mapped) of a kind. Codes below _KIND go to an order's (``_REFUND``:
    a refund's) line, as customer money or (``_WITHHELD``) as facilitator tax withheld on it."""
    found = mapping.classify(tt, at, ad)
    if found.role is R.MF_TAX:
        # Withheld on the document whose customer money the transaction carries (an order's sale
        # or one of its refunds): the tax it cancels is on that document's line.
        given_back = mapping.classify(tt, "ItemPrice", "Principal").role is R.REFUND
        return _WITHHELD | (_REFUND if given_back else 0), found.role, found.account, found.mapped
    if found.role is R.RECEIVABLE:
        return 0, found.role, found.account, found.mapped
    if found.role is R.REFUND:
        return _REFUND, found.role, found.account, found.mapped
    return _KIND, found.role, found.account, found.mapped


def _count(unmapped: dict[tuple[str, str, str, str], _Kind], key: tuple[str, str, str, str],
           event: MoneyEvent) -> None:
    kind = unmapped.get(key)
    if kind is None:
        kind = unmapped[key] = _Kind(event.source)
    kind.amount += event.amount
    kind.count += 1


def _chunks(key: str, day: date, lines: list[PlanLine], chunk_lines: int) -> tuple[PlanChunk, ...]:
    per_chunk = chunk_lines - 1  # room for the clearing line
    count = -(-len(lines) // per_chunk)
    chunks = []
    for number in range(1, count + 1):
        part = lines[(number - 1) * per_chunk:number * per_chunk]
        balance = sum((line.balance for line in part), ZERO)
        if balance:
            part.append(PlanLine(role=R.CLEARING, account=None, balance=-balance,
                                 label=f"Amazon settlement {key} ({number}/{count})", kind="clearing"))
        chunks.append(PlanChunk(ref=chunk_ref(key, number, count), number=number, count=count, date=day,
                                lines=tuple(part)))
    return tuple(chunks)

