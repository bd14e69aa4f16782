"""Scenarios: what the simulated Amazon looks like and how busy it is, from a TOML file.

Shipped scenarios live in ``scenarios/<name>.toml`` (``demo``, ``normal-day``, ``prime-day``);
``load_scenario`` also takes a path. Everything random derives from ``seed``, so a scenario and
a seed give the same catalog, the same orders and the same faults. Format (all keys optional
except ``[[sellers]]``; defaults shown in the dataclasses below)::

    [scenario]
    name = "demo"
    seed = 42
    start = "2026-03-02T00:00:00Z"   # simulated time at start
    speed = 600.0                    # simulated seconds per real second (0: manual clock)
    days = 1                         # orders are planned for this many days
    token_ttl_seconds = 3600         # LWA access-token lifetime (real seconds)
    rate_limit_scale = 1.0           # multiplies Amazon's default rates

    [[apps]]                         # LWA applications
    client_id = "amzn1.application-oa2-client.sim"
    client_secret = "sim-secret"
    pii = true                       # holds the restricted roles (buyer name, address)

    [[sellers]]
    seller_id = "A2SIMSELLEREU"
    name = "Demo Seller EU"
    refresh_token = "Atzr|sim-eu"
    marketplaces = ["DE", "FR", "UK"] # codes or ids

    [catalog]                        # per seller
    products = 20                    # buyable products (children count one each)
    variation_share = 0.3            # share of products that are children of a parent
    fba_share = 0.3                  # products offered by FBA only
    dual_share = 0.1                 # products offered both ways, under two SKUs
    fbm_quantity = 25                # initial FBM offer quantity
    fba_quantity = 40                # initial FBA fulfillable quantity per network
    price_min = "9.99"               # EUR-equivalent; converted per marketplace currency
    price_max = "149.00"

    [orders]
    per_day = 200                    # orders per seller per day, over its marketplaces
    hourly_weights = [1, 1, ...]     # 24 weights (UTC hours), the shape of a day
    cancellation_rate = 0.02
    business_share = 0.05            # B2B orders (VAT data, business price)
    gift_share = 0.05
    promotion_share = 0.1
    expedited_share = 0.1
    max_lines = 3
    max_quantity = 3
    oversell_probability = 0.0       # chance a buyer still gets an FBM offer at quantity 0
    pending_minutes = 30             # Pending → Unshipped (payment authorisation)
    afn_ship_minutes = 120           # AFN: Pending → Shipped

    [[orders.bursts]]                # multiply the rate in a window (hours from start)
    start_hour = 0
    end_hour = 24
    multiplier = 10.0

    [faults]                         # see faults.Faults
    throttle_rate = 0.0

    [finances]                       # see finances.FinanceSettings (money, event groups)
    period_days = 14
    refund_rate = 0.08
    payout_currencies = { UK = "EUR" }   # marketplace code → payout currency
    malformed_reports = [2]          # group numbers whose first settlement report is spoiled
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from ...marketplaces import by_code, by_id
from .auth import LwaApp
from .clock import parse_iso
from .faults import Faults
from .finances import FinanceSettings

__all__ = [
    "Burst",
    "CatalogSpec",
    "OrdersSpec",
    "Scenario",
    "ScenarioError",
    "SellerSpec",
    "list_scenarios",
    "load_scenario",
]


class ScenarioError(ValueError):
    """A scenario file is wrong; the message names the file and the key."""


@dataclass(frozen=True, kw_only=True)
class SellerSpec:
    seller_id: str
    name: str
    refresh_token: str
    marketplace_ids: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class CatalogSpec:
    products: int = 20
    variation_share: float = 0.3
    fba_share: float = 0.3
    dual_share: float = 0.1
    fbm_quantity: int = 25
    fba_quantity: int = 40
    price_min: Decimal = Decimal("9.99")
    price_max: Decimal = Decimal("149.00")


@dataclass(frozen=True, kw_only=True)
class Burst:
    start_hour: float
    end_hour: float
    multiplier: float


_FLAT_DAY = (2, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 8, 9, 9, 8, 6, 4)


@dataclass(frozen=True, kw_only=True)
class OrdersSpec:
    per_day: float = 200.0
    hourly_weights: tuple[float, ...] = _FLAT_DAY
    bursts: tuple[Burst, ...] = ()
    cancellation_rate: float = 0.02
    business_share: float = 0.05
    gift_share: float = 0.05
    promotion_share: float = 0.1
    expedited_share: float = 0.1
    max_lines: int = 3
    max_quantity: int = 3
    oversell_probability: float = 0.0
    pending_minutes: float = 30.0
    afn_ship_minutes: float = 120.0

    def rate_multiplier(self, hours_from_start: float) -> float:
        m = 1.0
        for b in self.bursts:
            if b.start_hour <= hours_from_start < b.end_hour:
                m *= b.multiplier
        return m


@dataclass(frozen=True, kw_only=True)
class Scenario:
    name: str
    description: str = ""
    seed: int = 42
    start: datetime = datetime(2026, 3, 2, tzinfo=UTC)
    speed: float = 600.0
    days: float = 1.0
    token_ttl_seconds: float = 3600.0
    rate_limit_scale: float = 1.0
    apps: tuple[LwaApp, ...] = ()
    sellers: tuple[SellerSpec, ...] = ()
    catalog: CatalogSpec = field(default_factory=CatalogSpec)
    orders: OrdersSpec = field(default_factory=OrdersSpec)
    faults: Faults = field(default_factory=Faults)
    finances: FinanceSettings = field(default_factory=FinanceSettings)


def list_scenarios() -> list[str]:
    """Names of the scenarios shipped with the package."""
    folder = resources.files(__package__).joinpath("scenarios")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name, or a TOML file by path. :class:`ScenarioError` when wrong."""
    text: str
    source = str(name_or_path)
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        try:
            text = path.read_text()
        except OSError as exc:
            raise ScenarioError(f"{source}: cannot read scenario ({exc})") from exc
    else:
        res = resources.files(__package__).joinpath("scenarios", f"{source}.toml")
        if not res.is_file():
            raise ScenarioError(f"unknown scenario {source!r}; shipped: "
                                f"{', '.join(list_scenarios())}")
        text = res.read_text()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML ({exc})") from exc
    try:
        return _build(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ScenarioError(f"{source}: {exc}") from exc


def _only(table: dict[str, Any], cls: type, where: str, extra: tuple[str, ...] = ()) -> None:
    known = {f.name for f in fields(cls)} | set(extra)
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValueError(f"[{where}] unknown key(s): {', '.join(unknown)}")


def _marketplace_id(value: str) -> str:
    try:
        return by_id(value).id
    except KeyError:
        return by_code(value).id


def _build(data: dict[str, Any]) -> Scenario:
    unknown = sorted(set(data) - {"scenario", "apps", "sellers", "catalog", "orders", "faults", "finances"})
    if unknown:
        raise ValueError(f"unknown table(s): {', '.join(unknown)}")
    head = dict(data.get("scenario", {}))
    _only(head, Scenario, "scenario")
    if "start" in head:
        head["start"] = head["start"] if isinstance(head["start"], datetime) else parse_iso(
            str(head["start"]))
        if head["start"].tzinfo is None:
            head["start"] = head["start"].replace(tzinfo=UTC)
    apps = []
    for a in data.get("apps", []):
        _only(a, LwaApp, "apps")
        apps.append(LwaApp(**a))
    if not apps:
        apps = [LwaApp(client_id="amzn1.application-oa2-client.sim", client_secret="sim-secret",
                       pii=True)]
    sellers = []
    for s in data.get("sellers", []):
        _only(s, SellerSpec, "sellers", extra=("marketplaces",))
        mps = tuple(_marketplace_id(m) for m in s.get("marketplaces", ()))
        if not mps:
            raise ValueError(f"[sellers] {s.get('seller_id')}: marketplaces is empty")
        sellers.append(SellerSpec(seller_id=s["seller_id"], name=s.get("name", s["seller_id"]),
                                  refresh_token=s["refresh_token"], marketplace_ids=mps))
    if not sellers:
        raise ValueError("[[sellers]] needs at least one seller")
    cat = dict(data.get("catalog", {}))
    _only(cat, CatalogSpec, "catalog")
    for k in ("price_min", "price_max"):
        if k in cat:
            cat[k] = Decimal(str(cat[k]))
    orders = dict(data.get("orders", {}))
    _only(orders, OrdersSpec, "orders")
    if "hourly_weights" in orders:
        weights = tuple(float(w) for w in orders["hourly_weights"])
        if len(weights) != 24 or sum(weights) <= 0:
            raise ValueError("[orders] hourly_weights needs 24 non-negative weights")
        orders["hourly_weights"] = weights
    if "bursts" in orders:
        bursts = []
        for b in orders["bursts"]:
            _only(b, Burst, "orders.bursts")
            bursts.append(Burst(**b))
        orders["bursts"] = tuple(bursts)
    return Scenario(**head, apps=tuple(apps), sellers=tuple(sellers), catalog=CatalogSpec(**cat),
                    orders=OrdersSpec(**orders), faults=Faults.from_dict(data.get("faults", {})),
                    finances=_finances(dict(data.get("finances", {}))))


def _finances(table: dict[str, Any]) -> FinanceSettings:
    _only(table, FinanceSettings, "finances")
    defaults = FinanceSettings()
    values: dict[str, Any] = {}
    for key, raw in table.items():
        default = getattr(defaults, key)
        if isinstance(default, Decimal):
            values[key] = Decimal(str(raw))
        elif isinstance(default, tuple):
            values[key] = tuple(Decimal(str(v)) if isinstance(default[0], Decimal) else int(v) for v in raw)
        elif isinstance(default, frozenset):
            values[key] = frozenset(raw)
        elif key == "payout_currencies":
            values[key] = {by_code(str(code)).code: str(currency) for code, currency in dict(raw).items()}
        else:
            values[key] = type(default)(raw)
    return FinanceSettings(**values)
