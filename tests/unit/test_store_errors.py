"""Driver errors become ours at the store's edge: what the caller can do decides the class."""

from __future__ import annotations

import psycopg
import pytest

from amazon_odoo_sync.exceptions import ConflictError, ContentionError, PermanentError, TransientError
from amazon_odoo_sync.store.database import translate_driver_error
from amazon_odoo_sync.store.memory import MemoryStore


@pytest.mark.parametrize(("driver_error", "ours"), [
    (psycopg.errors.UniqueViolation("duplicate key"), ConflictError),
    (psycopg.errors.DeadlockDetected("deadlock detected"), ContentionError),
    (psycopg.errors.SerializationFailure("could not serialize"), ContentionError),
    (psycopg.errors.LockNotAvailable("could not obtain lock"), ContentionError),
    (psycopg.OperationalError("server closed the connection"), TransientError),
    (psycopg.InterfaceError("the connection is closed"), TransientError),
    (psycopg.errors.UndefinedColumn("column x does not exist"), PermanentError),
])
def test_driver_errors_are_translated_by_what_the_caller_can_do(driver_error: psycopg.Error,
                                                                 ours: type[Exception]) -> None:
    translated = translate_driver_error(driver_error)
    assert type(translated) is ours
    assert translated is not None and translated.context()["system"] == "store"


def test_other_exceptions_are_not_the_stores() -> None:
    assert translate_driver_error(ValueError("x")) is None


async def test_the_twin_refuses_a_transaction_nested_in_the_same_task() -> None:
    store = MemoryStore()
    async with store.transaction():
        with pytest.raises(RuntimeError, match="inside another"):
            async with store.transaction():
                pass
