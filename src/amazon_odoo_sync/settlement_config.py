"""``[settlements]``: how Amazon's money kinds are booked (issue #15).

A leaf module at the level of :mod:`amazon_odoo_sync.config` (it imports nothing of ours), so
that ``config.Settings`` can hold :class:`SettlementsConfig` while the pure mapping
(:mod:`amazon_odoo_sync.mapping.settlement_accounts`) reads the same rules, both arrows pointing
down.

Roles, not accounts: the plan says *what* a line is (a customer's money of an order, an Amazon
fee, the reserve...), the writer resolves a role to an Odoo account of the company (``odoo
setup`` creates them). A rule may name an explicit account code for one kind instead (fees by
type on accounts of their own)::

    [[settlements.mapping]]
    transaction_type = "other-transaction"     # "*" (the default) matches anything
    amount_description = "Storage Fee"
    role = "fees"
    account = "623100"                         # optional: this kind on its own account
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["WILDCARD", "AccountRole", "SettlementAccount", "SettlementBooksConfig", "SettlementMappingRule",
           "SettlementsConfig"]

#: Matches any value of a key in a mapping rule.
WILDCARD = "*"


class AccountRole(StrEnum):
    """What a settlement line is in the books. The writer resolves each to an account."""

    #: A customer's money for one order (principal, shipping, gift wrap, seller-collected tax,
    #: promotions): one line per order, partner = the invoice's, reconciled with the invoice.
    RECEIVABLE = "receivable"
    #: A customer's money given back, one line per refund adjustment, reconciled with the credit note.
    REFUND = "refund"
    #: Other income (liquidation proceeds, removal revenue, restocking fees kept).
    INCOME = "income"
    #: Amazon's fees, one line per fee type (commission, FBA fulfilment, storage, subscription...).
    FEES = "fees"
    #: Advertising (Sponsored Products).
    ADS = "ads"
    #: Reimbursements (lost or damaged FBA inventory, SAFE-T): income, not revenue.
    REIMBURSEMENT = "reimbursement"
    #: Money Amazon holds back and releases later (reconcilable).
    RESERVE = "reserve"
    #: Tax Amazon collects and remits as marketplace facilitator: collected and withheld net to 0.
    MF_TAX = "mf_tax"
    #: Income tax Amazon withholds on the seller (tax withholding, India TDS).
    TAX_WITHHELD = "tax_withheld"
    #: Money moved between Amazon and the seller outside the payout (debt recovery charged to
    #: the seller's card, ad hoc or failed disbursements, loans).
    TRANSFERS = "transfers"
    #: A kind no rule knows: booked on a reconcilable account and reported, never dropped.
    UNMAPPED = "unmapped"
    #: The settlement's clearing account: the balancing line of every chunk and the payout's
    #: counterpart. Not a target of mapping rules.
    CLEARING = "clearing"


class SettlementMappingRule(BaseModel):
    """(transaction type, amount type, amount description) → role (and optionally an account).

    Values match Amazon's vocabulary case-, space-, hyphen- and underscore-insensitively
    ("FBA Inventory Reimbursement" = "FBAInventoryReimbursement"); ``"*"`` matches anything.
    Configured rules win over the defaults; among rules, the most specific wins (a rule naming
    the description beats one naming only the amount type), then the first written."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    transaction_type: str = WILDCARD
    amount_type: str = WILDCARD
    amount_description: str = WILDCARD
    role: AccountRole
    #: An Odoo account code for this kind instead of the role's account.
    account: str | None = Field(default=None, min_length=1)

    @field_validator("role")
    @classmethod
    def _not_clearing(cls, value: AccountRole) -> AccountRole:
        if value is AccountRole.CLEARING:
            raise ValueError("the clearing account balances each entry; map kinds to another role")
        return value


class SettlementAccount(BaseModel):
    """An Odoo account by its code; ``account_type`` and ``reconcile`` are what the writer gives
    it when the account is missing (``create``), or None: it must exist (the receivable: the
    invoices' own account)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1)
    name: str | None = None
    account_type: str | None = None
    reconcile: bool = False


def _account(code: str, name: str, account_type: str | None, reconcile: bool = False) -> SettlementAccount:
    return SettlementAccount(code=code, name=name, account_type=account_type, reconcile=reconcile)


def _default_accounts() -> dict[AccountRole, SettlementAccount]:
    r = AccountRole
    return {
        # Odoo's generic chart's receivable: the one its invoices use, never created here.
        r.RECEIVABLE: _account("121000", "Account Receivable", None),
        r.REFUND: _account("121000", "Account Receivable", None),
        r.INCOME: _account("AMZ410", "Amazon Other Income", "income_other"),
        r.FEES: _account("AMZ640", "Amazon Fees", "expense"),
        r.ADS: _account("AMZ650", "Amazon Advertising", "expense"),
        r.REIMBURSEMENT: _account("AMZ420", "Amazon Reimbursements", "income_other"),
        r.RESERVE: _account("AMZ110", "Amazon Reserve", "asset_current", reconcile=True),
        r.MF_TAX: _account("AMZ250", "Amazon Marketplace Facilitator Tax", "liability_current", reconcile=True),
        r.TAX_WITHHELD: _account("AMZ131", "Amazon Tax Withheld", "asset_current"),
        r.TRANSFERS: _account("AMZ120", "Amazon Transfers", "asset_current", reconcile=True),
        r.UNMAPPED: _account("AMZ199", "Amazon Unmapped", "asset_current", reconcile=True),
        r.CLEARING: _account("AMZ100", "Amazon Clearing", "asset_current", reconcile=True),
    }


class SettlementBooksConfig(BaseModel):
    """``[settlements.books]``: where the writer books a settlement's roles (role → account code),
    its entries (a general journal, created when missing) and its payout (the bank journal ``odoo
    setup`` creates, "Amazon Settlements" code ``AMZ``: it must exist)::

        [settlements.books.accounts.fees]
        code = "623100"
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    accounts: dict[AccountRole, SettlementAccount] = Field(default_factory=_default_accounts)
    entries_journal: str = Field(default="AMZS", min_length=1)
    entries_journal_name: str = "Amazon Settlement Entries"
    payout_journal: str = Field(default="AMZ", min_length=1)

    @field_validator("accounts")
    @classmethod
    def _with_defaults(cls, value: dict[AccountRole, SettlementAccount]) -> dict[AccountRole, SettlementAccount]:
        # Configuring one role keeps the others' defaults.
        return {**_default_accounts(), **value}


class SettlementsConfig(BaseModel):
    """``[settlements]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Rules before the built-in defaults (see :mod:`amazon_odoo_sync.mapping.settlement_accounts`).
    mapping: list[SettlementMappingRule] = Field(default_factory=list)
    #: Lines per journal entry, the clearing line included (Odoo's reconcile slows down with the
    #: size of the entries it touches: 100–200 lines keep a pair under ~0.2 s).
    chunk_lines: int = Field(default=150, ge=3, le=1000)
    #: Tax Amazon withholds as marketplace facilitator is taken from its order's receivable, where
    #: it cancels the tax collected (the pair is not booked): their Odoo invoices carry no tax (the
    #: orders flow leaves it off). False: the receivable keeps the tax, the withheld tax is a line.
    pair_facilitator_tax: bool = True
    books: SettlementBooksConfig = Field(default_factory=SettlementBooksConfig)
