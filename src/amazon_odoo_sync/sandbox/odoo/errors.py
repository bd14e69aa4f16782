"""Errors the emulator raises, named as Odoo 18 names them on the wire (``data.name``).

Each class carries the dotted name a real server puts into the JSON-RPC error's ``data.name``
and the ``/xmlrpc/2`` fault code, so the client maps them exactly as it would for real Odoo.
"""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "AccessError",
    "EmulatorError",
    "MissingError",
    "OdooAttributeError",
    "OdooTypeError",
    "OdooValueError",
    "SerializationFailure",
    "UserError",
    "ValidationError",
]


class EmulatorError(Exception):
    """Base: an error that crosses the wire as an Odoo server error."""

    odoo_name = "odoo.exceptions.UserError"
    json2_status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UserError(EmulatorError):
    odoo_name = "odoo.exceptions.UserError"


class ValidationError(UserError):
    odoo_name = "odoo.exceptions.ValidationError"


class MissingError(UserError):
    odoo_name = "odoo.exceptions.MissingError"
    json2_status = 404


class AccessError(EmulatorError):
    odoo_name = "odoo.exceptions.AccessError"
    json2_status = 403


class AccessDenied(EmulatorError):
    odoo_name = "odoo.exceptions.AccessDenied"
    json2_status = 401

    def __init__(self, message: str = "Access Denied") -> None:
        super().__init__(message)


class OdooValueError(EmulatorError):
    """Python's ValueError inside Odoo: invalid field, wrong selection value, bad date."""

    odoo_name = "builtins.ValueError"


class OdooTypeError(EmulatorError):
    odoo_name = "builtins.TypeError"


class OdooAttributeError(EmulatorError):
    """Unknown method on a model."""

    odoo_name = "builtins.AttributeError"


class SerializationFailure(EmulatorError):
    """PostgreSQL 40001 that survived the server's own retries: the only retryable one."""

    odoo_name = "psycopg2.errors.SerializationFailure"
    json2_status = 503
