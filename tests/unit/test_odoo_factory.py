"""One rule for the Odoo login, the workers' and every command's: the stored key first (with the
Odoo it was stored for), then the environment's with ``[odoo]``; none at all says how to fix it."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from amazon_odoo_sync.config import OdooConfig, Settings
from amazon_odoo_sync.exceptions import ConfigurationError
from amazon_odoo_sync.odoo.factory import LEGACY_API_KEY_ENV, OdooLogin, choose_login, client_from_settings
from amazon_odoo_sync.store.credentials import OdooCredentials
from amazon_odoo_sync.store.secrets import Secret


def settings(api_key: str | None = None, url: str = "http://odoo.test") -> Settings:
    return Settings(odoo=OdooConfig(url=url, database="prod", user="connector",
                                    api_key=SecretStr(api_key) if api_key else None))


STORED = OdooCredentials(instance="default", url="http://odoo.test", database="prod", user="connector",
                         api_key=Secret("stored-key"))


@pytest.fixture(autouse=True)
def no_legacy_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LEGACY_API_KEY_ENV, raising=False)


def test_the_stored_key_wins_over_the_environment() -> None:
    login = choose_login(settings(api_key="env-key"), STORED)
    assert login.api_key == "stored-key"
    assert (login.url, login.database, login.user) == ("http://odoo.test", "prod", "connector")
    assert "stored-key" not in repr(login)


def test_the_stored_key_goes_only_to_the_odoo_it_was_stored_for() -> None:
    login = choose_login(settings(url="http://elsewhere.test"), STORED)
    assert login.url == "http://odoo.test" and login.instance == "http://odoo.test/prod"


def test_without_a_stored_key_the_environment_with_the_configured_odoo() -> None:
    login = choose_login(settings(api_key="env-key"), None)
    assert login == OdooLogin(url="http://odoo.test", database="prod", user="connector", api_key="env-key")


def test_the_old_variable_is_still_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LEGACY_API_KEY_ENV, "old-env-key")
    assert choose_login(settings(), None).api_key == "old-env-key"


def test_no_key_anywhere_says_how_to_store_one() -> None:
    with pytest.raises(ConfigurationError, match="odoo set-key") as caught:
        choose_login(settings(), None)
    assert caught.value.field == "odoo.api_key"


async def test_the_client_is_built_for_the_login_not_the_settings() -> None:
    login = choose_login(settings(url="http://elsewhere.test"), STORED)
    async with client_from_settings(settings(url="http://elsewhere.test"), login) as client:
        assert (client.url, client.database, client.user) == ("http://odoo.test", "prod", "connector")
    with pytest.raises(ConfigurationError, match="database"):
        client_from_settings(settings(), OdooLogin(url="http://odoo.test", database="", user="u", api_key="k"))
