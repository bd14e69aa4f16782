"""Marketplaces sharing a warehouse: ``[stock] shared_warehouse`` "full" / "split" (pure parts)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amazon_odoo_sync.config import StockConfig, load_settings
from amazon_odoo_sync.exceptions import ConfigurationError
from amazon_odoo_sync.mapping.stock import Claim, shared_offers, split_units

codes = st.sampled_from(["DE", "FR", "IT", "ES", "NL", "PL", "SE", "BE"])
weights_st = st.dictionaries(codes, st.decimals(min_value=0, max_value=50, places=2), min_size=1, max_size=8)


@given(available=st.integers(-20, 100_000), weights=weights_st)
def test_split_never_exceeds_never_negative_and_is_deterministic(available: int,
                                                                 weights: dict[str, Decimal]) -> None:
    shares = split_units(available, weights)
    assert set(shares) == set(weights)
    assert all(v >= 0 for v in shares.values())
    assert sum(shares.values()) <= max(0, available)
    # Everything is handed out when anyone may have units.
    if any(w > 0 for w in weights.values()):
        assert sum(shares.values()) == max(0, available)
    # A zero weight gets nothing; no one is more than one unit off the exact share.
    total = sum(weights.values())
    for key, weight in weights.items():
        if weight == 0:
            assert shares[key] == 0
        else:
            exact = Decimal(max(0, available)) * weight / total
            assert abs(Decimal(shares[key]) - exact) < 1
    # Deterministic: the same input (in any order) gives the same shares.
    assert split_units(available, dict(reversed(list(weights.items())))) == shares


def test_split_examples() -> None:
    assert split_units(10, {"DE": 2, "FR": 1, "IT": 1}) == {"DE": 5, "FR": 3, "IT": 2}  # tie: FR sorts first
    assert split_units(1, {"DE": 1, "FR": 1, "IT": 1}) == {"DE": 1, "FR": 0, "IT": 0}
    assert split_units(7, {"DE": 0, "FR": 0}) == {"DE": 0, "FR": 0}
    assert split_units(-3, {"DE": 1}) == {"DE": 0}
    assert split_units(9, {"DE": Decimal("1.5"), "FR": Decimal("0.5")}) == {"DE": 7, "FR": 2}


claim_st = st.builds(Claim, marketplace=codes, sku=st.sampled_from(["A", "B"]), safety=st.integers(0, 20),
                     weight=st.decimals(min_value=0, max_value=5, places=1))


@given(free=st.decimals(min_value=-10, max_value=500, places=2), reserved=st.integers(0, 100),
       claims=st.lists(claim_st, min_size=1, max_size=6, unique_by=lambda c: c.key))
def test_shared_offers_split_never_oversells_full_offers_each_everything(
        free: Decimal, reserved: int, claims: list[Claim]) -> None:
    split = shared_offers(free=free, reserved=reserved, claims=claims, mode="split")
    full = shared_offers(free=free, reserved=reserved, claims=claims, mode="full")
    assert set(split) == set(full) == {c.key for c in claims}
    assert all(v >= 0 for v in split.values())
    pool = max(0, int(free // 1) - max(c.safety for c in claims) - reserved)
    assert sum(split.values()) <= pool
    for c in claims:
        assert full[c.key] == max(0, int(free // 1) - c.safety - reserved)
        assert split[c.key] <= full[c.key]  # a share is never more than the whole
    assert shared_offers(free=free, reserved=reserved, claims=list(reversed(claims)), mode="split") == split


def test_shared_offers_split_holds_back_the_largest_safety_once() -> None:
    claims = [Claim(marketplace="DE", sku="A", safety=2, weight=Decimal(2)),
              Claim(marketplace="FR", sku="A", safety=5), Claim(marketplace="IT", sku="A")]
    # 30 free − 5 (largest safety) − 4 reserved = 21 units, split 2:1:1.
    assert shared_offers(free=Decimal(30), reserved=4, claims=claims, mode="split") == {
        "DE/A": 11, "FR/A": 5, "IT/A": 5}
    assert shared_offers(free=Decimal(30), reserved=4, claims=claims, mode="full") == {
        "DE/A": 24, "FR/A": 21, "IT/A": 26}


def test_config_split_weights_by_code_and_validated() -> None:
    config = StockConfig(shared_warehouse="split", split_weights={"de": Decimal(2), "GB": Decimal("0.5")})
    assert config.split_weights == {"DE": Decimal(2), "UK": Decimal("0.5")}
    assert StockConfig().shared_warehouse == "full" and StockConfig().split_weights == {}
    with pytest.raises(ValueError, match="unknown Amazon marketplace code"):
        StockConfig(split_weights={"XX": Decimal(1)})
    with pytest.raises(ValueError, match="≥ 0"):
        StockConfig(split_weights={"DE": Decimal(-1)})
    with pytest.raises(ValueError):
        StockConfig(shared_warehouse="half")  # type: ignore[arg-type]


def test_config_file_split_weights(tmp_path: Path) -> None:
    path = tmp_path / "aos.toml"
    path.write_text('[stock]\nshared_warehouse = "split"\n[stock.split_weights]\nDE = 2\nFR = 1.5\n')
    settings = load_settings(path)
    assert settings.stock.shared_warehouse == "split"
    assert settings.stock.split_weights == {"DE": Decimal(2), "FR": Decimal("1.5")}
    path.write_text('[stock]\nshared_warehouse = "half"\n')
    with pytest.raises(ConfigurationError, match="shared_warehouse"):
        load_settings(path)
