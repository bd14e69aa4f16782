"""Amazon's money kinds → account roles: (transaction type, amount type, amount description) of
a :class:`~.money_events.MoneyEvent` → :class:`~amazon_odoo_sync.settlement_config.AccountRole`.

Configured rules (``[[settlements.mapping]]``) come first, then :data:`DEFAULT_RULES`, Amazon's
vocabulary as the settlement report and the Finances API write it (``amazon-reports.md``). Keys
compare case-, space-, hyphen- and underscore-insensitively, so the report's "FBA Inventory
Reimbursement" and v0's "FBAInventoryReimbursement" are one kind. Within each list the most
specific rule wins: one naming the description over one naming the amount type, over one naming
the transaction type only.

A kind no rule knows goes to :attr:`AccountRole.UNMAPPED` (a reconcilable account) with
``mapped=False``, and the plan lists it: it is booked and raised, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..settlement_config import WILDCARD, AccountRole, SettlementMappingRule

__all__ = ["DEFAULT_RULES", "Classification", "SettlementMapping", "normalize_kind"]

R = AccountRole
_W = WILDCARD

#: Transaction types whose customer money goes back to the buyer (one line per adjustment).
_GIVEN_BACK = ("Refund", "Chargeback Refund", "A-to-z Guarantee Claim", "GuaranteeClaim", "Chargeback")


def _rules(rows: Iterable[tuple[str, str, str, AccountRole]]) -> tuple[SettlementMappingRule, ...]:
    return tuple(SettlementMappingRule(transaction_type=tt, amount_type=at, amount_description=ad, role=role)
                 for tt, at, ad, role in rows)


#: Amazon's vocabulary (report V2 and Finances v0 as :mod:`.finances` names it) → roles.
DEFAULT_RULES: tuple[SettlementMappingRule, ...] = _rules([
    # The customer's money of an order: on the invoice's receivable.
    (_W, "ItemPrice", _W, R.RECEIVABLE),
    (_W, "Promotion", _W, R.RECEIVABLE),
    *((tt, at, _W, R.REFUND) for tt in _GIVEN_BACK for at in ("ItemPrice", "Promotion")),
    # Kept by the seller when a buyer returns an item: not the customer's money any more.
    (_W, "ItemPrice", "RestockingFee", R.INCOME),
    # Fees, by type (the description).
    (_W, "ItemFees", _W, R.FEES),
    (_W, "ShipmentFees", _W, R.FEES),
    (_W, "OrderFees", _W, R.FEES),
    ("ServiceFee", _W, _W, R.FEES),
    (_W, "CostOfPointsGranted", _W, R.FEES),
    (_W, "CostOfPointsReturned", _W, R.FEES),
    *(("other-transaction", _W, ad, R.FEES) for ad in (
        "Storage Fee", "StorageRenewalBilling", "FBA Long-Term Storage Fee", "Subscription Fee",
        "DisposalComplete", "RemovalComplete", "Inventory Placement Service Fee", "FBA transportation fee",
        "FBAInboundTransportationFee", "Vine Enrollment Fee", "Coupon Redemption Fee", "RunLightningDealFee",
        "Deal Fee", "Early Reviewer Program Fee", "PostageBilling", "PostageRefund")),
    ("CouponPayment", _W, _W, R.FEES),
    ("SellerDealPayment", _W, _W, R.FEES),
    ("ImagingServicesFee", _W, _W, R.FEES),
    ("ValueAddedServiceCharge", _W, _W, R.FEES),
    ("CapacityReservationBilling", _W, _W, R.FEES),
    ("AffordabilityExpense", _W, _W, R.FEES),
    ("AffordabilityExpenseReversal", _W, _W, R.FEES),
    ("TrialShipment", _W, _W, R.FEES),
    ("SellerReviewEnrollmentPayment", _W, _W, R.FEES),
    ("ChargeRefund", _W, _W, R.FEES),
    ("Adjustment", "PostageBilling", _W, R.FEES),
    ("Adjustment", "PostageRefund", _W, R.FEES),
    # Advertising.
    (_W, "Cost of Advertising", _W, R.ADS),
    ("ProductAdsPayment", _W, _W, R.ADS),
    # Reimbursements: income, not revenue.
    (_W, "FBA Inventory Reimbursement", _W, R.REIMBURSEMENT),
    ("Adjustment", "LostOrDamagedReimbursement", _W, R.REIMBURSEMENT),
    ("Adjustment", "CanceledButPickedUpReimbursement", _W, R.REIMBURSEMENT),
    ("Adjustment", "ReimbursementClawback", _W, R.REIMBURSEMENT),
    ("SAFETReimbursement", _W, _W, R.REIMBURSEMENT),
    ("EBTRefundReimbursementOnly", _W, _W, R.REIMBURSEMENT),
    ("Adjustment", "SellerRewards", _W, R.INCOME),
    # Reserve held back and released.
    (_W, _W, "Current Reserve Amount", R.RESERVE),
    (_W, _W, "Previous Reserve Amount Balance", R.RESERVE),
    ("Adjustment", "ReserveEvent", _W, R.RESERVE),
    # Tax Amazon collects and remits as marketplace facilitator (nets to zero with what it withheld).
    (_W, "ItemWithheldTax", _W, R.MF_TAX),
    ("Order_Retrocharge", _W, _W, R.MF_TAX),
    ("Refund_Retrocharge", _W, _W, R.MF_TAX),
    ("Retrocharge", _W, _W, R.MF_TAX),
    ("RetrochargeReversal", _W, _W, R.MF_TAX),
    # Other income: liquidation proceeds, removal revenue, credits from solution providers.
    ("Liquidations", _W, _W, R.INCOME),
    (_W, "Liquidations", "LiquidationFeeAmount", R.FEES),
    ("RemovalShipment", _W, "Revenue", R.INCOME),
    ("RemovalShipment", _W, "FeeAmount", R.FEES),
    ("RemovalShipment", _W, "TaxAmount", R.MF_TAX),
    ("RemovalShipment", _W, "TaxWithheld", R.MF_TAX),
    ("RemovalShipmentAdjustment", _W, "RevenueAdjustment", R.INCOME),
    ("RemovalShipmentAdjustment", _W, "TaxAmountAdjustment", R.MF_TAX),
    ("RemovalShipmentAdjustment", _W, "TaxWithheldAdjustment", R.MF_TAX),
    ("ServiceProviderCredit", _W, _W, R.INCOME),
    # Income tax withheld on the seller.
    ("TaxWithholding", _W, _W, R.TAX_WITHHELD),
    ("TDSReimbursement", _W, _W, R.TAX_WITHHELD),
    # Money moved outside the payout.
    ("DebtRecovery", _W, _W, R.TRANSFERS),
    ("AdhocDisbursement", _W, _W, R.TRANSFERS),
    ("FailedAdhocDisbursement", _W, _W, R.TRANSFERS),
    ("LoanServicing", _W, _W, R.TRANSFERS),
])


def normalize_kind(value: str) -> str:
    """How kinds compare: "FBA Inventory Reimbursement" = "FBAInventoryReimbursement"."""
    if value == WILDCARD:
        return value
    return value.casefold().replace(" ", "").replace("-", "").replace("_", "")


@dataclass(frozen=True, slots=True)
class Classification:
    role: AccountRole
    #: An explicit account code for this kind (a rule's ``account``), else the role's account.
    account: str | None
    #: False: no rule knew the kind (role UNMAPPED): report it.
    mapped: bool
    #: Which rule decided: "settlements.mapping[2]", "default", or "" when none did.
    rule: str


_UNMAPPED = Classification(role=AccountRole.UNMAPPED, account=None, mapped=False, rule="")
#: Which keys a pattern compares (transaction type, amount type, description), most specific first.
_PATTERNS: tuple[tuple[bool, bool, bool], ...] = (
    (True, True, True), (False, True, True), (True, False, True), (False, False, True),
    (True, True, False), (False, True, False), (True, False, False), (False, False, False))
_CACHE_SIZE = 65_536

_Table = dict[tuple[str, str, str], Classification]


def _table(rules: Iterable[SettlementMappingRule], name: str | None) -> _Table:
    table: _Table = {}
    for position, rule in enumerate(rules):
        key = (normalize_kind(rule.transaction_type), normalize_kind(rule.amount_type),
               normalize_kind(rule.amount_description))
        label = f"{name}[{position}]" if name else "default"
        # The first rule written wins among equally specific ones.
        table.setdefault(key, Classification(role=rule.role, account=rule.account,
                                             mapped=rule.role is not AccountRole.UNMAPPED, rule=label))
    return table


class SettlementMapping:
    """Classifies money kinds: configured ``rules`` first, then the defaults (unless
    ``defaults=False``). Pure; remembers what it classified (a settlement repeats few kinds)."""

    def __init__(self, rules: Iterable[SettlementMappingRule] = (), *, defaults: bool = True,
                 name: str = "settlements.mapping") -> None:
        self._tables = [_table(rules, name)]
        if defaults:
            self._tables.append(_table(DEFAULT_RULES, None))
        self._known: dict[tuple[str, str, str], Classification] = {}

    def classify(self, transaction_type: str, amount_type: str, amount_description: str) -> Classification:
        raw = (transaction_type, amount_type, amount_description)
        found = self._known.get(raw)
        if found is None:
            found = self._lookup(raw)
            if len(self._known) >= _CACHE_SIZE:
                self._known.clear()
            self._known[raw] = found
        return found

    def _lookup(self, raw: tuple[str, str, str]) -> Classification:
        keys = tuple(normalize_kind(k) for k in raw)
        for table in self._tables:
            for pattern in _PATTERNS:
                key = (keys[0] if pattern[0] else WILDCARD, keys[1] if pattern[1] else WILDCARD,
                       keys[2] if pattern[2] else WILDCARD)
                found = table.get(key)
                if found is not None:
                    return found
        return _UNMAPPED
