"""Configuration: a TOML file plus environment variables (``AOS_`` prefix, ``__`` for nesting).

Where the file is: ``--config PATH``, else ``$AOS_CONFIG``, else ``./amazon-odoo-sync.toml`` if it
exists, else defaults only. ``DATABASE_URL`` is honoured as well as ``AOS_DATABASE__URL``.
Environment variables override the file. A bad file fails at start with
:class:`~amazon_odoo_sync.exceptions.ConfigurationError` naming the file, the field and what is
expected. Secrets (LWA client secret, refresh tokens, Odoo API key) do not belong in this file:
they are stored encrypted in the database (see ``amazon_odoo_sync.store.secrets``).

Precedence between this file and the database: the database is the one source of truth for
seller accounts and their credentials; every command and worker works the accounts stored there.
An ``[[accounts]]`` entry here is a declaration of the non-secret parts (region, seller id,
marketplaces): ``accounts import`` stores it, ``accounts add`` takes its defaults from it, and
``accounts list`` shows it until it is stored. Commands see ``Settings.accounts`` replaced by the
stored accounts (``cli.common``). The mapping of marketplaces to Odoo (``[marketplaces.XX]``),
schedules, priorities and limits live only here. ``amazon-odoo-sync init`` writes a commented
example of every setting.
"""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .exceptions import ConfigurationError
from .marketplaces import REGIONS, Region, by_code, by_id

__all__ = [
    "AccountConfig",
    "DatabaseConfig",
    "METRICS_TOKEN_ENV",
    "NOTIFICATIONS_SECRET_ENV",
    "JobsConfig",
    "MarketplaceConfig",
    "NotificationsConfig",
    "OdooConfig",
    "Priorities",
    "SafetyStockRule",
    "Schedules",
    "SecretsConfig",
    "Settings",
    "SpapiConfig",
    "ShipmentCarrier",
    "ShipmentsConfig",
    "StockConfig",
    "WebConfig",
    "default_config_path",
    "load_settings",
]

APP_NAME = "amazon-odoo-sync"
DEFAULT_CONFIG_FILE = Path("amazon-odoo-sync.toml")
_SECRET_HINTS = ("secret", "token", "password", "api_key", "key")


def _default_endpoints() -> dict[Region, str]:
    return {"NA": REGIONS["NA"]["endpoint"], "EU": REGIONS["EU"]["endpoint"],
            "FE": REGIONS["FE"]["endpoint"]}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(_Section):
    #: PostgreSQL URL. Empty: an embedded PostgreSQL is started under ``embedded_dir``.
    url: str | None = None
    embedded_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)) / "postgres")
    pool_size: int = Field(default=10, ge=1, le=200)


class SecretsConfig(_Section):
    #: Fernet key(s), comma separated, newest first. Else read from ``key_file`` (mode 0600).
    key: str | None = None
    key_file: Path = Field(
        default_factory=lambda: Path(platformdirs.user_config_dir(APP_NAME)) / "secret.key")


class SpapiConfig(_Section):
    token_url: str = "https://api.amazon.com/auth/o2/token"
    #: Override of the SP-API endpoint per region (the sandbox uses this).
    endpoints: dict[Region, str] = Field(default_factory=lambda: _default_endpoints())
    timeout_seconds: float = Field(default=30.0, gt=0)
    #: How long a job may wait for a rate-governor token before giving up (retryable).
    max_token_wait_seconds: float = Field(default=60.0, ge=0)
    circuit_failure_threshold: int = Field(default=5, ge=1)
    circuit_reset_seconds: float = Field(default=30.0, gt=0)


class AccountConfig(_Section):
    """A seller account's non-secret parts: declared in the file (stored by ``accounts import``,
    defaults of ``accounts add``) or read from the database, the source of truth."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,62}$")
    region: Region
    seller_id: str = ""
    #: Marketplace codes ("DE", "UK") or Amazon marketplace ids.
    marketplaces: list[str] = Field(min_length=1)

    @field_validator("marketplaces")
    @classmethod
    def _known_marketplaces(cls, value: list[str]) -> list[str]:
        ids = []
        for item in value:
            try:
                ids.append(by_id(item).id if len(item) > 3 else by_code(item).id)
            except KeyError as exc:
                raise ValueError(f"{exc.args[0]}; expected a code like 'DE' or an id like "
                                 "'A1PA6795UKMFR9'") from None
        return ids

    @model_validator(mode="after")
    def _marketplaces_in_region(self) -> AccountConfig:
        for mid in self.marketplaces:
            market = by_id(mid)
            if market.region != self.region:
                raise ValueError(f"marketplace {market.code} is in region {market.region}, "
                                 f"not {self.region}")
        return self


class MarketplaceConfig(_Section):
    """Where a marketplace's business lands in Odoo (names as they appear in Odoo)."""

    company: str | None = None
    warehouse: str | None = None
    fba_warehouse: str | None = None
    pricelist: str | None = None
    currency: str | None = None
    sales_team: str = "Amazon"
    settlement_journal: str | None = None
    #: Used when Amazon gives no personal data (e.g. North-America FBA orders).
    anonymous_customer: str | None = None


class OdooConfig(_Section):
    url: str = "http://127.0.0.1:8069"
    database: str = ""
    user: str = "admin"
    #: "auto" asks ``common.version``: JSON-2 on 19+, JSON-RPC before.
    protocol: Literal["auto", "jsonrpc", "json2"] = "auto"
    timeout_seconds: float = Field(default=60.0, gt=0)
    max_concurrency: int = Field(default=8, ge=1, le=256)
    batch_size: int = Field(default=50, ge=1, le=1000)
    #: From ``AOS_ODOO__API_KEY`` only (CI, containers): never in the file. Used only when no key
    #: is stored by ``odoo set-key`` (the stored one comes first: ``odoo.factory.choose_login``).
    api_key: SecretStr | None = Field(default=None, repr=False)
    #: Requests in a row that do not reach Odoo (connection refused, 502/503/504) before every
    #: worker stops calling it; jobs needing Odoo wait, without spending their retry budget.
    circuit_failure_threshold: int = Field(default=5, ge=1)
    #: How long the open circuit waits before one request probes whether Odoo is back.
    circuit_reset_seconds: float = Field(default=30.0, gt=0)


class Schedules(_Section):
    """Seconds between runs of each polling flow."""

    #: One searchOrders per account and poll: Amazon restores one call every 180 s (burst 20).
    orders_poll: float = Field(default=180, gt=0)
    orders_overlap: float = Field(default=300, ge=0)
    #: Orders in quarantine (e.g. waiting for a SKU mapping) are tried again this often.
    orders_retry_quarantined: float = Field(default=600, gt=0)
    #: Pushed orders are fetched at once by a job each notification queues; this sweep catches
    #: one whose job ran just before the notification was committed.
    orders_notified_sweep: float = Field(default=30, gt=0)
    #: An import job starts this long after the first order it waits for, so orders arriving
    #: meanwhile reach Odoo in the same batch (one create, one confirm) instead of one by one.
    orders_import_delay: float = Field(default=1.0, ge=0, le=60)
    #: Reservations left for orders already in Odoo or cancelled are released this often (a
    #: backstop: the writes refuse such orders; see store.reservations).
    reservations_sweep: float = Field(default=300, gt=0)
    stock_poll: float = Field(default=5, gt=0)
    shipments_poll: float = Field(default=10, gt=0)
    fba_inventory_poll: float = Field(default=1800, gt=0)
    #: Buyer personal data is removed from our database this many days after the order's
    #: delivery (or the row's last use, if later): Amazon's Data Protection Policy says 30.
    pii_retention_days: int = Field(default=30, ge=1)
    #: How often the personal data purge runs.
    privacy_purge: float = Field(default=86400, gt=0)
    #: Processed inbox rows (notifications, order pages, reports; an order's older documents) are
    #: deleted this many hours after processing, by a job run every ``inbox_prune`` seconds, so
    #: the table stays the size of a few days of traffic. An order's newest document stays.
    inbox_keep_hours: float = Field(default=72, gt=0)
    inbox_prune: float = Field(default=3600, gt=0)


class Priorities(_Section):
    """Job priorities (higher runs first) and quota precedence: stock > shipments > orders..."""

    stock: int = 100
    shipments: int = 80
    orders: int = 60
    reports: int = 40
    housekeeping: int = 20

    @model_validator(mode="after")
    def _ordered(self) -> Priorities:
        if not (self.stock > self.shipments > self.orders > self.reports > self.housekeeping):
            raise ValueError("priorities must keep stock > shipments > orders > reports > housekeeping")
        return self


class JobsConfig(_Section):
    """The job queue: workers, retries of retryable errors, dead-worker recovery."""

    concurrency: int = Field(default=4, ge=1, le=256)
    #: A job failing with retryable errors is retried until this many hours have passed since
    #: its first failure, then failed (the dead-letter state). Time spent waiting behind an open
    #: circuit (Odoo or SP-API down) does not count: an outage of any length is waited out.
    #: 0: retryable errors fail the job at once.
    retry_budget_hours: float = Field(default=6.0, ge=0)
    #: Retries wait a random time up to base * 2**attempt seconds, at most the cap.
    backoff_base_seconds: float = Field(default=2.0, gt=0)
    backoff_cap_seconds: float = Field(default=300.0, gt=0)
    #: No longer used (retries are bounded by ``retry_budget_hours``, not a count); accepted so
    #: that files written by earlier versions still load.
    max_attempts: int | None = Field(default=None, ge=1)
    #: A worker writes a heartbeat this often...
    heartbeat_seconds: float = Field(default=10.0, gt=0)
    #: ...and is presumed dead (its running jobs re-queued) after this long without one.
    stalled_after_seconds: float = Field(default=60.0, gt=0)
    #: How often a worker looks for jobs of dead workers.
    stalled_check_seconds: float = Field(default=30.0, gt=0)
    #: How often a worker looks for schedules that are due.
    scheduler_tick_seconds: float = Field(default=1.0, gt=0)
    #: After SIGTERM, running jobs get this long to finish; a job still running then, or waiting
    #: for quota or for Odoo at any time during it, goes back to the queue untouched.
    shutdown_grace_seconds: float = Field(default=2.5, ge=0)
    #: Succeeded jobs are deleted after this many hours (failed jobs are kept until replayed).
    keep_succeeded_hours: int = Field(default=72, ge=1)

    @model_validator(mode="after")
    def _heartbeat_margin(self) -> JobsConfig:
        if self.stalled_after_seconds < 2 * self.heartbeat_seconds:
            raise ValueError("stalled_after_seconds must be at least twice heartbeat_seconds, or live "
                             "workers would be taken for dead")
        return self


class SafetyStockRule(_Section):
    """Units held back from Amazon: the larger of ``fixed`` and ``percent`` of the free quantity."""

    fixed: int = Field(default=0, ge=0)
    percent: Decimal = Field(default=Decimal(0), ge=0, le=100)


class StockConfig(_Section):
    """``[stock]``: what is offered to Amazon (FBM) and how it is sent."""

    #: Default safety stock of every FBM SKU.
    safety: SafetyStockRule = Field(default_factory=SafetyStockRule)
    #: Per-SKU rules, keyed ``"SKU"`` (every marketplace) or ``"SKU@DE"`` (one marketplace; wins).
    safety_overrides: dict[str, SafetyStockRule] = Field(default_factory=dict)
    #: A decrease to this many offered units or fewer is urgent (``patchListingsItem`` at once).
    urgent_threshold: int = Field(default=0, ge=0)
    #: Fewer pending (non-urgent) changes than this go out as patches; more as one feed.
    feed_min_messages: int = Field(default=100, ge=1)
    #: Urgent patches per cycle and marketplace (patchListingsItem: 5/s); more go in the feed.
    max_urgent_patches: int = Field(default=50, ge=0)
    #: Messages per JSON_LISTINGS_FEED (Amazon allows 25,000).
    feed_max_messages: int = Field(default=25_000, ge=1, le=25_000)
    #: Amazon product type sent with quantity patches (Amazon ignores it for PATCH of
    #: fulfillment_availability; "PRODUCT" is accepted for every listing).
    product_type: str = "PRODUCT"
    #: Odoo ``stock.quant``/``stock.move`` changes are read this many seconds before the cursor,
    #: so a transaction committed late (write_date earlier than the cursor) is not missed.
    change_overlap_seconds: float = Field(default=10.0, ge=0)
    #: A rejected message is quarantined; a retryable one is sent again up to this many times.
    max_message_attempts: int = Field(default=5, ge=1)
    #: ``product_map`` is refilled from Amazon's listings matched to Odoo ``default_code`` this
    #: often (and at once when the account has no mapping); 0 never (explicit mappings only).
    catalog_refresh_minutes: float = Field(default=360, ge=0)
    #: FBA drift: a SKU whose Amazon FBA total differs from what Odoo expects by more than this
    #: many units is reported at each complete FBA pull (0: every difference).
    fba_drift_tolerance: int = Field(default=0, ge=0)
    #: Marketplaces served from the same Odoo warehouse(s): "full" offers every free unit in each
    #: of them (the reservations of all of them deducted); "split" divides the units left after
    #: safety stock and reservations among them by ``split_weights``.
    shared_warehouse: Literal["full", "split"] = "full"
    #: With "split": marketplace code → weight (missing: 1; 0: nothing offered there).
    split_weights: dict[str, Decimal] = Field(default_factory=dict)

    @field_validator("split_weights")
    @classmethod
    def _weights(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        weights: dict[str, Decimal] = {}
        for code, weight in value.items():
            try:
                market = by_code(code)
            except KeyError as exc:
                raise ValueError(exc.args[0]) from None
            if not weight.is_finite() or weight < 0:
                raise ValueError(f"the weight of {code} must be a number ≥ 0")
            weights[market.code] = weight
        return weights


class ShipmentCarrier(_Section):
    """How one Odoo carrier (``delivery.carrier`` name) is named to Amazon in ``confirmShipment``."""

    #: Amazon's carrierCode ("UPS", "DHL", "Deutsche Post", ...) or "Other" (then ``name`` is sent).
    code: str = Field(min_length=1)
    #: carrierName: required by Amazon with code "Other"; defaults to the Odoo carrier's name.
    name: str | None = None
    #: shippingMethod; defaults to the Odoo carrier's name.
    shipping_method: str | None = None


class ShipmentsConfig(_Section):
    """``[shipments]``: FBM deliveries validated in Odoo, confirmed to Amazon (``confirmShipment``)."""

    #: A delivery validated without a tracking number waits this long for one, then is reported.
    tracking_grace_minutes: float = Field(default=60, ge=0)
    #: Odoo carrier name → Amazon carrier (``"DHL Paket" = "DHL"`` or a table with code/name/
    #: shipping_method). Unmapped carriers whose name is an Amazon code are sent as that code,
    #: others as code "Other" with the Odoo name as carrierName.
    carriers: dict[str, ShipmentCarrier] = Field(default_factory=dict)
    #: Used for deliveries without a carrier in Odoo; none: such deliveries are quarantined.
    default_carrier: ShipmentCarrier | None = None
    #: Pickings changed this many seconds before the cursor are read again (late commits).
    change_overlap_seconds: float = Field(default=10.0, ge=0)
    #: Confirmations sent at the same time (the rate governor still paces them).
    concurrency: int = Field(default=4, ge=1, le=64)
    #: Pending confirmations sent per run.
    send_batch: int = Field(default=500, ge=1)
    #: Post a note with the Amazon shipment status on the Odoo sale order.
    post_odoo_note: bool = True

    @field_validator("carriers", mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {"code": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("default_carrier", mode="before")
    @classmethod
    def _short_default(cls, value: Any) -> Any:
        return {"code": value} if isinstance(value, str) else value


class NotificationsConfig(_Section):
    """``[notifications]``: SP-API notifications read from an Amazon SQS queue, and the optional
    HTTP endpoint. AWS credentials come from the environment only (``AWS_ACCESS_KEY_ID``,
    ``AWS_SECRET_ACCESS_KEY``, optional ``AWS_SESSION_TOKEN``), and so does the endpoint's secret
    (:data:`NOTIFICATIONS_SECRET_ENV`)."""

    #: Serve ``POST /notifications/spapi`` (Amazon itself delivers only to SQS or EventBridge:
    #: this is for a forwarder of your own). Each request must carry the HMAC-SHA256 of its body
    #: under the secret in ``$AOS_NOTIFICATIONS_SECRET``; ``serve`` refuses to start without it.
    http_endpoint: bool = False

    #: The queue SP-API delivers to (``https://sqs.<region>.amazonaws.com/<account>/<queue>``);
    #: none: no SQS polling.
    sqs_queue_url: str | None = None
    #: Signing region; default: from the queue URL (``us-east-1`` for non-AWS queues).
    aws_region: str | None = None
    #: Long polling: a receive waits up to this many seconds for the first message.
    wait_seconds: int = Field(default=20, ge=0, le=20)
    #: Messages per receive (SQS allows 10).
    max_messages: int = Field(default=10, ge=1, le=10)
    #: A received message stays invisible this long; not deleted by then (not stored), it comes again.
    visibility_timeout_seconds: int = Field(default=120, ge=1, le=43200)
    #: A poll job is started this often while a queue is configured...
    poll_seconds: float = Field(default=5, gt=0)
    #: ...and keeps receiving for up to this long (it ends earlier when the queue is empty).
    run_seconds: float = Field(default=20, gt=0)


class WebConfig(_Section):
    """``[web]``: the dashboard's sign-in. Users are added with ``amazon-odoo-sync users add``.
    ``/metrics`` asks for ``Authorization: Bearer <token>`` when ``$AOS_METRICS_TOKEN`` is set."""

    #: Session cookies are sent over HTTPS only. Turn off only to use the dashboard over plain
    #: HTTP from this machine (http://127.0.0.1:8080, as the demo does): over a network, serve it
    #: behind an HTTPS reverse proxy instead.
    cookie_secure: bool = True
    #: A sign-in lasts this long.
    session_hours: float = Field(default=12, gt=0, le=24 * 30)
    #: Failed logins allowed per user name and client address within ``login_window_minutes``;
    #: further attempts are refused (without checking the password) until the window has passed.
    login_max_failures: int = Field(default=5, ge=1)
    login_window_minutes: float = Field(default=15, gt=0)
    #: Only behind a reverse proxy that authenticates users itself: the request header carrying
    #: the signed-in user's name (e.g. "X-Remote-User"). The user must exist (``users add``);
    #: their role applies. None: the dashboard's own login.
    trusted_user_header: str | None = None
    #: The header is honoured only on requests from these addresses (the proxy's).
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    #: The dashboard's address as browsers see it ("https://sync.example.com"), when a proxy does
    #: not pass the Host header on: requests that change something must come from this origin.
    public_origin: str | None = None


#: Environment variables holding the web service's shared secrets (never in the file).
NOTIFICATIONS_SECRET_ENV = "AOS_NOTIFICATIONS_SECRET"
METRICS_TOKEN_ENV = "AOS_METRICS_TOKEN"

_config_file: ContextVar[Path | None] = ContextVar("aos_config_file", default=None)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AOS_", env_nested_delimiter="__", extra="forbid",
                                      frozen=True)

    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    secrets: SecretsConfig = Field(default_factory=SecretsConfig)
    spapi: SpapiConfig = Field(default_factory=SpapiConfig)
    odoo: OdooConfig = Field(default_factory=OdooConfig)
    accounts: list[AccountConfig] = Field(default_factory=list)
    #: Keyed by marketplace code ("DE", "US").
    marketplaces: dict[str, MarketplaceConfig] = Field(default_factory=dict)
    schedules: Schedules = Field(default_factory=Schedules)
    priorities: Priorities = Field(default_factory=Priorities)
    jobs: JobsConfig = Field(default_factory=JobsConfig)
    stock: StockConfig = Field(default_factory=StockConfig)
    shipments: ShipmentsConfig = Field(default_factory=ShipmentsConfig)
    notifications: NotificationsConfig = Field(default_factory=NotificationsConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"

    @field_validator("marketplaces")
    @classmethod
    def _known_codes(cls, value: dict[str, MarketplaceConfig]) -> dict[str, MarketplaceConfig]:
        for code in value:
            try:
                by_code(code)
            except KeyError as exc:
                raise ValueError(exc.args[0]) from None
        return {by_code(code).code: cfg for code, cfg in value.items()}

    @model_validator(mode="after")
    def _unique_accounts(self) -> Settings:
        names = [a.name for a in self.accounts]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"account names must be unique; repeated: {', '.join(duplicates)}")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file.get()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    def account(self, name: str) -> AccountConfig:
        for account in self.accounts:
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.accounts) or "none"
        raise ConfigurationError(f"unknown account {name!r} (known: {known}); `amazon-odoo-sync "
                                 "accounts list` shows the stored accounts, `accounts import` "
                                 "stores those of the configuration file", field="accounts")

    def marketplace(self, code_or_id: str) -> MarketplaceConfig:
        """Odoo targets for a marketplace; unmapped marketplaces get the defaults."""
        market = by_id(code_or_id) if len(code_or_id) > 3 else by_code(code_or_id)
        return self.marketplaces.get(market.code, MarketplaceConfig())


def default_config_path() -> Path | None:
    env = os.environ.get("AOS_CONFIG")
    if env:
        return Path(env)
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.exists() else None


def _is_secret(loc: tuple[Any, ...]) -> bool:
    return any(hint in str(part).lower() for part in loc for hint in _SECRET_HINTS)


def _describe(error: Any) -> tuple[str, str]:
    loc = tuple(error.get("loc", ()))
    field = ".".join(str(part) for part in loc) or "(file)"
    message = error.get("msg", "invalid value")
    if error.get("type") == "extra_forbidden":
        message = "unknown setting (check the spelling; see `amazon-odoo-sync init` for all settings)"
    elif "input" in error and not _is_secret(loc) and not isinstance(error["input"], dict | list):
        message = f"{message} (got {error['input']!r})"
    return field, message


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Load and validate settings. Raises ConfigurationError; never a raw stack trace."""
    path = path if path is not None else default_config_path()
    source = str(path) if path else "environment"
    if path is not None:
        if not path.is_file():
            raise ConfigurationError("configuration file not found", source=source)
        try:
            with path.open("rb") as handle:
                document = tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"not valid TOML: {exc}", source=source) from exc
        odoo = document.get("odoo")
        if isinstance(odoo, dict) and "api_key" in odoo:
            raise ConfigurationError("secrets do not belong in this file: store the key with "
                                     "`amazon-odoo-sync odoo set-key` (or set AOS_ODOO__API_KEY)",
                                     source=source, field="odoo.api_key")
    if os.environ.get("DATABASE_URL") and not os.environ.get("AOS_DATABASE__URL"):
        overrides.setdefault("database", {})
        if isinstance(overrides["database"], dict):
            overrides["database"].setdefault("url", os.environ["DATABASE_URL"])
    token = _config_file.set(path)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = [_describe(error) for error in exc.errors()]
        if len(problems) == 1:  # the field is named once, by ConfigurationError
            raise ConfigurationError(problems[0][1], source=source, field=problems[0][0]) from None
        raise ConfigurationError("; ".join(f"{f}: {m}" for f, m in problems), source=source
                                 ) from None
    finally:
        _config_file.reset(token)
