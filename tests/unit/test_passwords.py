"""Password hashes (scrypt) and session tokens."""

from __future__ import annotations

import base64
import hashlib

from amazon_odoo_sync.passwords import (
    csrf_token,
    hash_password,
    new_token,
    password_problem,
    token_digest,
    verify_password,
)


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("correct horse battery")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)
    assert not verify_password("", stored)
    assert "correct" not in stored


def test_each_hash_has_its_own_salt_and_carries_its_parameters() -> None:
    first, second = hash_password("same password!"), hash_password("same password!")
    assert first != second
    prefix, n, r, p, salt, key = first.split("$")
    assert (prefix, int(n), int(r), int(p)) == ("scrypt", 2**14, 8, 1)
    assert len(base64.b64decode(salt)) == 16 and len(base64.b64decode(key)) == 32
    # A hash made at another cost still verifies: the cost is read from the hash.
    raw_salt = base64.b64decode(salt)
    cheaper = hashlib.scrypt(b"same password!", salt=raw_salt, n=1024, r=8, p=1, dklen=32)
    stored = "$".join(["scrypt", "1024", "8", "1", salt, base64.b64encode(cheaper).decode()])
    assert verify_password("same password!", stored)
    assert not verify_password("same password!", "$".join(["scrypt", "1024", "8", "1", salt, key]))


def test_no_user_or_a_broken_hash_never_verifies() -> None:
    assert not verify_password("anything at all", None)
    assert not verify_password("anything at all", "plain-text-password")
    assert not verify_password("anything at all", "scrypt$16384$8$1$!!$!!")
    assert not verify_password("x" * 5000, hash_password("x" * 1000))


def test_password_rules() -> None:
    assert password_problem("short") is not None
    assert password_problem(" padded password ") is not None
    assert password_problem("x" * 2000) is not None
    assert password_problem("long enough now") is None


def test_tokens_are_random_and_stored_as_digests() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(len(t) >= 43 for t in tokens)
    token = tokens.pop()
    assert len(token_digest(token)) == 32 and token_digest(token) == token_digest(token)
    assert csrf_token(token) != csrf_token(tokens.pop())
    assert token not in csrf_token(token)
