from __future__ import annotations

import pickle
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from amazon_odoo_sync.config import SecretsConfig
from amazon_odoo_sync.exceptions import ConfigurationError
from amazon_odoo_sync.store.secrets import Cipher, Secret, load_cipher, new_key, read_key_file


def test_roundtrip_and_ciphertext_hides_plaintext() -> None:
    cipher = Cipher([new_key()])
    token = cipher.encrypt("Atzr|refresh-token")
    assert "refresh" not in token
    assert cipher.decrypt(token) == "Atzr|refresh-token"
    assert cipher.decrypt_secret(cipher.encrypt(Secret("s3"))).reveal() == "s3"


def test_wrong_key_says_so_without_the_secret() -> None:
    token = Cipher([new_key()]).encrypt("very-secret-value")
    with pytest.raises(ConfigurationError) as info:
        Cipher([new_key()]).decrypt(token)
    assert "does not match" in str(info.value)
    assert "very-secret-value" not in str(info.value) and token not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_newest_key_encrypts_older_keys_decrypt() -> None:
    old, new = new_key(), new_key()
    old_token = Cipher([old]).encrypt("x")
    both = Cipher([new, old])
    assert both.decrypt(old_token) == "x"
    rotated = both.reencrypt(old_token)
    assert Cipher([new]).decrypt(rotated) == "x"
    with pytest.raises(ConfigurationError):
        Cipher([old]).decrypt(both.encrypt("y"))


def test_invalid_key_material_is_not_echoed() -> None:
    with pytest.raises(ConfigurationError, match="not a valid Fernet key") as info:
        Cipher(["not-a-key-xyz"])
    assert "not-a-key-xyz" not in str(info.value)
    with pytest.raises(ConfigurationError, match="no secrets key"):
        Cipher([" ", ""])


def test_secret_never_shows_itself() -> None:
    secret = Secret("hunter2")
    assert repr(secret) == str(secret) == "***"
    assert "hunter2" not in f"{secret} {secret!r} {[secret]} {dict(k=secret)}"
    assert secret == Secret("hunter2") and secret != Secret("other") and bool(secret)
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert "hunter2" not in repr(Cipher([new_key()]))


def test_env_keys_are_comma_separated_newest_first() -> None:
    old, new = new_key(), new_key()
    cipher = load_cipher(SecretsConfig(key=f"{new}, {old}"))
    assert cipher.keys == (new, old)
    assert Cipher([new]).decrypt(cipher.encrypt("v")) == "v"


def test_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "secret.key"
    first = load_cipher(SecretsConfig(key_file=path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = load_cipher(SecretsConfig(key_file=path))
    assert first.keys == second.keys and len(first.keys) == 1
    Fernet(first.keys[0].encode())  # a real key


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    path.write_text(new_key() + "\n")
    path.chmod(0o644)
    with pytest.raises(ConfigurationError) as info:
        load_cipher(SecretsConfig(key_file=path))
    assert "chmod 600" in str(info.value) and str(path) in str(info.value)
    path.chmod(0o600)
    assert read_key_file(path)


def test_missing_key_file_without_create(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not found"):
        load_cipher(SecretsConfig(key_file=tmp_path / "nope.key"), create=False)
