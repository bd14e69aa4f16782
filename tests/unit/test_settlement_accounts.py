"""Money kinds → account roles: Amazon's vocabulary by default, configuration first, unknown kinds unmapped."""

from __future__ import annotations

import tomllib

import pytest
from pydantic import ValidationError

from amazon_odoo_sync.mapping.settlement_accounts import SettlementMapping, normalize_kind
from amazon_odoo_sync.settlement_config import AccountRole, SettlementMappingRule, SettlementsConfig

R = AccountRole


@pytest.mark.parametrize(("kind", "role"), [
    (("Order", "ItemPrice", "Principal"), R.RECEIVABLE),
    (("Order", "ItemPrice", "Shipping"), R.RECEIVABLE),
    (("Order", "ItemPrice", "GiftWrapTax"), R.RECEIVABLE),
    (("Order", "Promotion", "Shipping"), R.RECEIVABLE),
    (("Refund", "ItemPrice", "Principal"), R.REFUND),
    (("Refund", "Promotion", "Principal"), R.REFUND),
    (("Chargeback Refund", "ItemPrice", "Principal"), R.REFUND),
    (("A-to-z Guarantee Claim", "ItemPrice", "Shipping"), R.REFUND),
    (("Refund", "ItemPrice", "RestockingFee"), R.INCOME),
    (("Order", "ItemFees", "Commission"), R.FEES),
    (("Order", "ItemFees", "FBAPerUnitFulfillmentFee"), R.FEES),
    (("Refund", "ItemFees", "RefundCommission"), R.FEES),
    (("other-transaction", "other-transaction", "Storage Fee"), R.FEES),
    (("other-transaction", "other-transaction", "Subscription Fee"), R.FEES),
    (("ServiceFee", "Cost of Advertising", "TransactionTotalAmount"), R.ADS),
    (("ProductAdsPayment", "Cost of Advertising", "baseValue"), R.ADS),
    (("other-transaction", "FBA Inventory Reimbursement", "WAREHOUSE_DAMAGE"), R.REIMBURSEMENT),
    (("Adjustment", "FBAInventoryReimbursement", "FBAInventoryReimbursement"), R.REIMBURSEMENT),
    (("other-transaction", "other-transaction", "Current Reserve Amount"), R.RESERVE),
    (("other-transaction", "other-transaction", "Previous Reserve Amount Balance"), R.RESERVE),
    (("Adjustment", "ReserveEvent", "ReserveEvent"), R.RESERVE),
    (("Order", "ItemWithheldTax", "MarketplaceFacilitatorTax-Principal"), R.MF_TAX),
    (("Order", "ItemWithheldTax", "LowValueGoodsTax-Shipping"), R.MF_TAX),
    (("Liquidations", "Liquidations", "LiquidationProceedsAmount"), R.INCOME),
    (("Liquidations", "Liquidations", "LiquidationFeeAmount"), R.FEES),
    (("RemovalShipment", "RemovalShipment", "FeeAmount"), R.FEES),
    (("CouponPayment", "Coupon", "CouponClipFee"), R.FEES),
    (("SellerDealPayment", "Deal", "RunLightningDealFee"), R.FEES),
    (("DebtRecovery", "DebtPayment", "RecoveryAmount"), R.TRANSFERS),
    (("TaxWithholding", "TaxWithholding", "WithheldAmount"), R.TAX_WITHHELD),
])
def test_amazon_vocabulary(kind: tuple[str, str, str], role: AccountRole) -> None:
    found = SettlementMapping().classify(*kind)
    assert (found.role, found.mapped, found.rule) == (role, True, "default")


def test_kinds_compare_loosely() -> None:
    assert normalize_kind("FBA Inventory Reimbursement") == normalize_kind("fba_inventory-reimbursement")
    mapping = SettlementMapping()
    assert mapping.classify("ORDER", "item price", "principal").role is R.RECEIVABLE
    assert mapping.classify("other-transaction", "Other-Transaction", "storage fee").role is R.FEES


def test_unknown_kind_is_unmapped() -> None:
    found = SettlementMapping().classify("Mystery", "Unheard", "Of")
    assert (found.role, found.mapped, found.rule) == (R.UNMAPPED, False, "")
    # Not a known other-transaction: never silently a fee.
    assert not SettlementMapping().classify("other-transaction", "other-transaction", "Something New").mapped


def test_configured_rules_win_and_the_most_specific_first() -> None:
    rules = [SettlementMappingRule(amount_type="ItemFees", role=R.ADS),
             SettlementMappingRule(amount_type="ItemFees", amount_description="Commission", role=R.FEES,
                                   account="622100"),
             SettlementMappingRule(transaction_type="Mystery", role=R.INCOME),
             SettlementMappingRule(amount_type="ItemFees", role=R.INCOME)]  # same key later: the first wins
    mapping = SettlementMapping(rules)
    commission = mapping.classify("Order", "ItemFees", "Commission")
    assert (commission.role, commission.account, commission.rule) == (R.FEES, "622100", "settlements.mapping[1]")
    assert mapping.classify("Order", "ItemFees", "FBAWeightBasedFee").rule == "settlements.mapping[0]"
    assert mapping.classify("Order", "ItemFees", "FBAWeightBasedFee").role is R.ADS
    assert mapping.classify("Mystery", "Unheard", "Of").role is R.INCOME
    assert mapping.classify("Order", "ItemPrice", "Principal").rule == "default"
    assert SettlementMapping(rules, defaults=False).classify("Order", "ItemPrice", "Principal").role is R.UNMAPPED


def test_a_rule_may_say_unmapped_on_purpose() -> None:
    mapping = SettlementMapping([SettlementMappingRule(amount_description="Storage Fee", role=R.UNMAPPED)])
    assert not mapping.classify("other-transaction", "other-transaction", "Storage Fee").mapped


def test_configuration_from_toml() -> None:
    config = SettlementsConfig.model_validate(tomllib.loads("""
chunk_lines = 120
[[mapping]]
transaction_type = "other-transaction"
amount_description = "Storage Fee"
role = "fees"
account = "623100"
"""))
    assert config.chunk_lines == 120 and config.pair_facilitator_tax
    assert SettlementMapping(config.mapping).classify("other-transaction", "x", "Storage Fee").account == "623100"


@pytest.mark.parametrize("table", [{"mapping": [{"role": "clearing"}]}, {"mapping": [{"role": "nope"}]},
                                   {"mapping": [{"role": "fees", "colour": "red"}]}, {"chunk_lines": 2},
                                   {"mapping": [{"role": "fees", "account": ""}]}])
def test_configuration_refused(table: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SettlementsConfig.model_validate(table)
