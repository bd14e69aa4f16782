"""Build the Odoo client the one way every worker and command does: which login, then the client.

Which login (:func:`choose_login`, the one rule): the key stored with ``amazon-odoo-sync odoo
set-key`` first, with the URL, database and user it was stored for; else ``AOS_ODOO__API_KEY``
(read into ``[odoo] api_key`` by the ``AOS_<SECTION>__<KEY>`` convention; the old name
``AOS_ODOO_API_KEY`` still works, with a deprecation warning) with ``[odoo]``'s URL, database and
user. Why the stored key wins: ``set-key`` checked it against that Odoo before storing it, and
it is the one an operator rotates; a variable left in a container's or a shell's environment
must not quietly override a key rotated since (the workers have always read the stored key
first). The variable serves where nothing is stored: CI, containers. A key is only ever sent to
the Odoo it was stored for.

The client (:func:`client_from_settings`): commands build it alone; workers add the capacity
governor and the circuit breaker, both shared by every worker through a store handed in
(:func:`shared_governor`, :func:`shared_circuit`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import httpx

from ..clock import Clock
from ..config import Settings
from ..exceptions import ConfigurationError
from ..logs import get_logger
from ..store.credentials import OdooCredentials
from .circuit import OdooCircuit, OdooCircuitStore, SharedOdooCircuit
from .client import OdooClient
from .governor import AdaptiveGovernor, CapacityStore, Governor

__all__ = ["API_KEY_ENV", "LEGACY_API_KEY_ENV", "OdooLogin", "api_key_from_environment", "choose_login",
           "client_from_settings", "shared_circuit", "shared_governor"]

API_KEY_ENV = "AOS_ODOO__API_KEY"
#: Deprecated: broke the ``AOS_<SECTION>__<KEY>`` convention.
LEGACY_API_KEY_ENV = "AOS_ODOO_API_KEY"
LEGACY_API_KEY_WARNING = (f"{LEGACY_API_KEY_ENV} is deprecated and will stop working: rename it "
                          f"{API_KEY_ENV}")

_log = get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class OdooLogin:
    """Where Odoo is and who we are there. The repr hides the key."""

    url: str
    database: str
    user: str
    api_key: str = field(repr=False)

    @property
    def instance(self) -> str:
        """The Odoo instance's name in shared state (capacity, circuit): ``url/database``."""
        return f"{self.url.rstrip('/')}/{self.database}"

    @classmethod
    def configured(cls, settings: Settings, api_key: str) -> OdooLogin:
        """``[odoo]``'s URL, database and user with ``api_key`` (a key about to be stored)."""
        return cls(url=settings.odoo.url, database=settings.odoo.database, user=settings.odoo.user,
                   api_key=api_key)


def api_key_from_environment(settings: Settings) -> str | None:
    """``$AOS_ODOO__API_KEY`` (read into the settings), else the deprecated ``$AOS_ODOO_API_KEY``."""
    if settings.odoo.api_key is not None and settings.odoo.api_key.get_secret_value():
        return settings.odoo.api_key.get_secret_value()
    legacy = os.environ.get(LEGACY_API_KEY_ENV)
    if legacy:
        _log.warning(LEGACY_API_KEY_WARNING)
        return legacy
    return None


def choose_login(settings: Settings, stored: OdooCredentials | None) -> OdooLogin:
    """The stored login first, else ``[odoo]`` with the key from the environment (see the module's
    docstring for why). ConfigurationError when there is no key at all."""
    if stored is not None:
        login = OdooLogin(url=stored.url, database=stored.database, user=stored.user,
                          api_key=stored.api_key.reveal())
        configured = (settings.odoo.url.rstrip("/"), settings.odoo.database, settings.odoo.user)
        if (login.url.rstrip("/"), login.database, login.user) != configured:
            _log.warning("the stored Odoo key is for another Odoo than [odoo] names: using the stored "
                         "one; run `amazon-odoo-sync odoo set-key` to store a key for [odoo]",
                         stored=f"{login.user}@{login.instance}",
                         configured=f"{settings.odoo.user}@{settings.odoo.url.rstrip('/')}/"
                                    f"{settings.odoo.database}")
        return login
    api_key = api_key_from_environment(settings)
    if not api_key:
        raise ConfigurationError(f"no Odoo API key: run `amazon-odoo-sync odoo set-key` or set "
                                 f"{API_KEY_ENV}", field="odoo.api_key")
    return OdooLogin.configured(settings, api_key)


def shared_governor(settings: Settings, login: OdooLogin, capacity: CapacityStore) -> AdaptiveGovernor:
    """The capacity governor of ``login``'s Odoo, its limit shared through ``capacity``: a
    Prime-Day burst slows every worker down instead of taking Odoo down."""
    return AdaptiveGovernor(login.instance, store=capacity, max_concurrency=settings.odoo.max_concurrency,
                            lease_ttl=max(settings.odoo.timeout_seconds * 2, 60.0))


def shared_circuit(settings: Settings, login: OdooLogin, circuits: OdooCircuitStore, *,
                   clock: Clock | None = None) -> SharedOdooCircuit:
    """The circuit breaker of ``login``'s Odoo, shared through ``circuits``: while Odoo is down,
    every worker's jobs that need it wait behind one circuit instead of each failing against it."""
    return SharedOdooCircuit(circuits, login.instance, failure_threshold=settings.odoo.circuit_failure_threshold,
                             reset_seconds=settings.odoo.circuit_reset_seconds, clock=clock)


def client_from_settings(settings: Settings, login: OdooLogin, *,
                         transport: httpx.AsyncBaseTransport | None = None,
                         governor: Governor | None = None,
                         circuit: OdooCircuit | None = None) -> OdooClient:
    """An :class:`OdooClient` for ``login`` with ``[odoo]``'s protocol and limits; the caller
    closes it (and the governor)."""
    if not login.database:
        raise ConfigurationError("the Odoo database name is empty", field="odoo.database")
    return OdooClient(login.url, login.database, login.user, login.api_key,
                      protocol=settings.odoo.protocol, transport=transport,
                      timeout=settings.odoo.timeout_seconds, governor=governor,
                      max_connections=max(settings.odoo.max_concurrency * 2, 10), circuit=circuit)
