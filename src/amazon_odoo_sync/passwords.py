"""Dashboard passwords and session tokens (standard library only).

Passwords are hashed with scrypt (memory-hard: each guess costs 16 MiB and ~50 ms, so a stolen
``users`` table is slow to attack on GPUs) with a random salt per hash. The stored string carries
its parameters, ``scrypt$n$r$p$salt$hash`` (base64), so the cost can be raised later without
invalidating existing hashes. Comparisons are constant-time.

Session tokens are 256 random bits; the database keeps only their SHA-256 (:func:`token_digest`):
a fast hash is enough for a value that cannot be guessed, and a leaked table signs nobody in.
The CSRF token of a session is derived from its token (:func:`csrf_token`), so it needs no
storage and changes with the session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["MIN_LENGTH", "csrf_token", "hash_password", "new_token", "password_problem",
           "token_digest", "verify_password"]

#: scrypt cost: n=2**14, r=8 → 16 MiB per hash (OWASP's minimum recommendation for scrypt).
N, R, P = 2**14, 8, 1
SALT_BYTES = 16
KEY_BYTES = 32
MIN_LENGTH = 10
MAX_LENGTH = 1024  # a megabyte "password" would only cost us CPU
_PREFIX = "scrypt"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES,
                          maxmem=2 * 128 * n * r * p + 1024 * 1024)


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be set (None: it may)."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"a password has at most {MAX_LENGTH} characters"
    if password.strip() != password:
        return "a password may not start or end with spaces"
    return None


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    return f"{_PREFIX}${N}${R}${P}${_b64(salt)}${_b64(_scrypt(password, salt, N, R, P))}"


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != _PREFIX:
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        return n, r, p, base64.b64decode(parts[4], validate=True), base64.b64decode(parts[5], validate=True)
    except ValueError:
        return None


#: Hashed when the user does not exist, so an unknown name takes as long as a wrong password.
_DUMMY = hash_password(secrets.token_urlsafe(16))


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches ``stored`` (None: no such user; still costs one hash)."""
    parsed = _parse(stored if stored is not None else _DUMMY)
    if parsed is None or len(password) > MAX_LENGTH:
        parsed = _parse(_DUMMY)
        assert parsed is not None
        stored = None
    n, r, p, salt, expected = parsed
    actual = _scrypt(password, salt, n, r, p)
    return hmac.compare_digest(actual, expected) and stored is not None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("ascii", "replace")).digest()


def csrf_token(session_token: str) -> str:
    return hmac.new(session_token.encode("ascii", "replace"), b"aos-csrf", hashlib.sha256).hexdigest()
