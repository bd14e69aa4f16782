"""Build the Odoo client the way every worker and command does: settings + stored API key.

The API key is read from ``AOS_ODOO__API_KEY`` when set (CI, containers; ``[odoo] api_key`` in
the ``AOS_<SECTION>__<KEY>`` convention of every other setting), else from the encrypted
credentials store (``amazon-odoo-sync odoo set-key``). The old name ``AOS_ODOO_API_KEY`` still
works, with a deprecation warning. URL, database and user come from ``[odoo]`` in the settings.
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from ..config import Settings
from ..exceptions import ConfigurationError
from ..logs import get_logger
from .client import OdooClient
from .governor import AdaptiveGovernor, PostgresCapacityStore

__all__ = ["API_KEY_ENV", "LEGACY_API_KEY_ENV", "api_key_from_environment", "client_from_settings",
           "governor_from_settings", "resolve_api_key"]

API_KEY_ENV = "AOS_ODOO__API_KEY"
#: Deprecated: broke the ``AOS_<SECTION>__<KEY>`` convention.
LEGACY_API_KEY_ENV = "AOS_ODOO_API_KEY"
LEGACY_API_KEY_WARNING = (f"{LEGACY_API_KEY_ENV} is deprecated and will stop working: rename it "
                          f"{API_KEY_ENV}")

_log = get_logger(__name__)


def api_key_from_environment(settings: Settings) -> str | None:
    """``$AOS_ODOO__API_KEY`` (read into the settings), else the deprecated ``$AOS_ODOO_API_KEY``."""
    if settings.odoo.api_key is not None and settings.odoo.api_key.get_secret_value():
        return settings.odoo.api_key.get_secret_value()
    legacy = os.environ.get(LEGACY_API_KEY_ENV)
    if legacy:
        _log.warning(LEGACY_API_KEY_WARNING)
        return legacy
    return None


async def resolve_api_key(settings: Settings, db_url: str | None = None, *,
                          instance: str = "default") -> str:
    """The Odoo API key: from the environment, else the stored one. ConfigurationError if none."""
    env = api_key_from_environment(settings)
    if env:
        return env
    if db_url is not None:
        from ..store.credentials import get_odoo_credentials
        from ..store.database import connect
        from ..store.secrets import load_cipher

        # The key file is created on first use: without one, nothing is stored yet.
        cipher = load_cipher(settings.secrets)
        async with connect(db_url) as conn:
            credentials = await get_odoo_credentials(conn, cipher, instance)
        if credentials is not None:
            return credentials.api_key.reveal()
    raise ConfigurationError(f"no Odoo API key: run `amazon-odoo-sync odoo set-key` or set "
                             f"{API_KEY_ENV}", field="odoo.api_key")


def governor_from_settings(settings: Settings, db_url: str | None, **kwargs: Any) -> AdaptiveGovernor:
    """The capacity governor of the configured Odoo, shared through PostgreSQL when ``db_url``."""
    instance = f"{settings.odoo.url.rstrip('/')}/{settings.odoo.database}"
    store = PostgresCapacityStore(db_url) if db_url else None
    return AdaptiveGovernor(instance, store=store, max_concurrency=settings.odoo.max_concurrency,
                            lease_ttl=max(settings.odoo.timeout_seconds * 2, 60.0), **kwargs)


def client_from_settings(settings: Settings, api_key: str, *,
                         transport: httpx.AsyncBaseTransport | None = None,
                         governor: AdaptiveGovernor | None = None) -> OdooClient:
    """An :class:`OdooClient` for ``[odoo]``; the caller closes it (and the governor)."""
    if not settings.odoo.database:
        raise ConfigurationError("the Odoo database name is empty", field="odoo.database")
    return OdooClient(settings.odoo.url, settings.odoo.database, settings.odoo.user, api_key,
                      protocol=settings.odoo.protocol, transport=transport,
                      timeout=settings.odoo.timeout_seconds, governor=governor,
                      max_connections=max(settings.odoo.max_concurrency * 2, 10))
