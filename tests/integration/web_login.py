"""Signing in to the dashboard in tests: add a user through the store, post the login form."""

from __future__ import annotations

import re
from typing import Any

import httpx
import psycopg

from amazon_odoo_sync.passwords import hash_password
from amazon_odoo_sync.store import users
from amazon_odoo_sync.store.users import Role

PASSWORD = "correct horse battery staple"


async def add_user(conn: psycopg.AsyncConnection[Any], name: str, role: Role, password: str = PASSWORD) -> None:
    assert await users.add(conn, name=name, role=role, password_hash=hash_password(password)) is not None


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, name: str, password: str = PASSWORD) -> str:
    """Sign ``client`` in (its cookie jar keeps the session); the CSRF token of its pages, also
    set as the client's ``X-CSRF-Token`` header, as htmx sends it."""
    response = await client.post("/login", data={"username": name, "password": password, "next": "/"})
    assert response.status_code == 303, response.text
    page = await client.get("/")
    assert page.status_code == 200, page.text
    token = csrf_of(page.text)
    client.headers["X-CSRF-Token"] = token
    return token
