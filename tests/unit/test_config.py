from __future__ import annotations

import re
from pathlib import Path

import pytest

from amazon_odoo_sync.config import load_settings
from amazon_odoo_sync.exceptions import ConfigurationError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "amazon-odoo-sync.toml"
    path.write_text(text)
    return path


def test_accounts_and_marketplaces_are_normalised(tmp_path: Path) -> None:
    path = write(tmp_path, """
[[accounts]]
name = "acme-eu"
region = "EU"
marketplaces = ["DE", "A13V1IB3VIYZZH", "uk"]

[marketplaces.gb]
warehouse = "WH-UK"
""")
    settings = load_settings(path)
    assert settings.account("acme-eu").marketplaces == ["A1PA6795UKMFR9", "A13V1IB3VIYZZH", "A1F83G8C2ARO7P"]
    assert settings.marketplace("UK").warehouse == "WH-UK"
    assert settings.marketplace("A1F83G8C2ARO7P").warehouse == "WH-UK"


def test_marketplace_outside_the_account_region_names_file_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, '[[accounts]]\nname = "acme"\nregion = "NA"\nmarketplaces = ["DE"]\n')
    with pytest.raises(ConfigurationError) as info:
        load_settings(path)
    text = str(info.value)
    assert str(path) in text
    assert "accounts.0" in text
    assert "region EU, not NA" in text


def test_unknown_setting_is_reported_with_its_name(tmp_path: Path) -> None:
    path = write(tmp_path, "[odoo]\nurll = 'http://x'\n")
    with pytest.raises(ConfigurationError) as info:
        load_settings(path)
    assert str(info.value).count("odoo.urll") == 1  # named once, not "odoo.urll: odoo.urll: ..."
    assert "unknown setting" in str(info.value) and info.value.field == "odoo.urll"


def test_invalid_toml_is_a_configuration_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[odoo\n")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_settings(path)


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "[odoo]\ndatabase = 'from-file'\n")
    monkeypatch.setenv("AOS_ODOO__DATABASE", "from-env")
    assert load_settings(path).odoo.database == "from-env"


def test_database_url_env_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h:1/d")
    monkeypatch.delenv("AOS_CONFIG", raising=False)
    assert load_settings(None).database.url == "postgresql://u@h:1/d"


def test_secret_values_are_not_echoed(tmp_path: Path) -> None:
    path = write(tmp_path, "[secrets]\nkey = 987654321\n")  # not a number found in a tmp path
    with pytest.raises(ConfigurationError) as info:
        load_settings(path)
    assert "987654321" not in str(info.value)


def test_priorities_must_keep_their_order(tmp_path: Path) -> None:
    path = write(tmp_path, "[priorities]\nstock = 1\n")
    with pytest.raises(ConfigurationError, match="stock > shipments"):
        load_settings(path)


def test_init_template_loads_and_covers_every_section(tmp_path: Path) -> None:
    from amazon_odoo_sync.cli.setup import config_template
    from amazon_odoo_sync.config import Settings

    template = config_template()
    settings = load_settings(write(tmp_path, template))
    assert settings.priorities.stock == 100 and settings.accounts == []
    for name, field in Settings.model_fields.items():
        assert f"[{name}]" in template or f"[[{name}]]" in template or f"{name} =" in template, name
        annotation = getattr(field.annotation, "model_fields", None)
        for sub in annotation or {}:
            explained = f"{sub} =" in template or f"[{name}.{sub}]" in template
            assert explained, f"{name}.{sub} is not explained in the init template"


def test_init_template_example_account_is_valid_when_uncommented(tmp_path: Path) -> None:
    from amazon_odoo_sync.cli.setup import config_template

    lines = config_template().splitlines()
    start = lines.index("# [[accounts]]")
    setting = re.compile(r"^# (\[|[a-z_]+ = )")
    block = "\n".join(line[2:] for line in lines[start:] if setting.match(line))
    settings = load_settings(write(tmp_path, block))
    assert settings.account("acme-eu").marketplaces[0] == "A1PA6795UKMFR9"
    assert settings.marketplace("DE").warehouse == "WH"


def test_account_name_must_be_lower_case(tmp_path: Path) -> None:
    path = write(tmp_path, '[[accounts]]\nname = "Acme"\nregion = "EU"\nmarketplaces = ["DE"]\n')
    with pytest.raises(ConfigurationError, match="accounts.0.name"):
        load_settings(path)


def test_duplicate_account_names_are_refused(tmp_path: Path) -> None:
    entry = '[[accounts]]\nname = "acme"\nregion = "EU"\nmarketplaces = ["DE"]\n'
    with pytest.raises(ConfigurationError, match="repeated: acme"):
        load_settings(write(tmp_path, entry + entry))


def test_secrets_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AOS_SECRETS__KEY", "k1,k2")
    monkeypatch.delenv("AOS_CONFIG", raising=False)
    assert load_settings(None).secrets.key == "k1,k2"


def test_odoo_api_key_comes_from_the_environment_never_the_file(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AOS_ODOO__API_KEY", "k-from-env")
    settings = load_settings(write(tmp_path, "[odoo]\ndatabase = 'db'\n"))
    assert settings.odoo.api_key is not None and settings.odoo.api_key.get_secret_value() == "k-from-env"
    assert "k-from-env" not in repr(settings)
    with pytest.raises(ConfigurationError, match="secrets do not belong in this file") as info:
        load_settings(write(tmp_path, "[odoo]\napi_key = 'k-in-file'\n"))
    assert "k-in-file" not in str(info.value)
