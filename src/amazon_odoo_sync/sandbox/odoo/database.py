"""The emulator's storage: plain dicts per model, with an undo log so each call is one transaction.

Records hold stored values only (many2one as an id or False, many2many as a list of ids, dates
as Odoo's strings). Every mutation goes through :meth:`Database.insert`, :meth:`update` or
:meth:`delete` so a failed call is rolled back exactly, like Odoo's one-transaction-per-call.
Sequences are not rolled back (PostgreSQL ``nextval`` is not transactional either, so retried
calls leave gaps as in real Odoo).
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["Database", "Record"]

Record = dict[str, Any]


class Database:
    def __init__(self) -> None:
        self.tables: dict[str, dict[Any, Record]] = {}
        self.next_ids: dict[str, int] = {}
        self.sequences: dict[str, int] = {}
        #: Bumped on each update of a row; used to detect concurrent writes (REPEATABLE READ).
        self.versions: dict[tuple[str, int], int] = {}
        #: Users' secrets: never readable through the ORM.
        self.passwords: dict[int, str] = {}
        self.api_keys: dict[str, int] = {}
        self._undo: list[tuple[str, str, int, Record | None]] | None = None
        self.dirty = False
        #: (model, field) -> value -> ids; kept for one2many inverses and hot search keys.
        self.indexes: dict[tuple[str, str], dict[Any, set[int]]] = {}
        self._indexed: dict[str, list[str]] = {}

    # -- indexes -------------------------------------------------------------------------------
    def add_index(self, model: str, field: str) -> None:
        if (model, field) in self.indexes:
            return
        index: dict[Any, set[int]] = {}
        for rec_id, row in self.table(model).items():
            index.setdefault(_key(row.get(field, False)), set()).add(rec_id)
        self.indexes[(model, field)] = index
        self._indexed.setdefault(model, []).append(field)

    def lookup(self, model: str, field: str, value: Any) -> set[int] | None:
        """Ids whose ``field`` equals ``value``, or None when that field has no index."""
        index = self.indexes.get((model, field))
        if index is None:
            return None
        return index.get(_key(value), set())

    def _index_add(self, model: str, row: Record) -> None:
        for field in self._indexed.get(model, ()):
            self.indexes[(model, field)].setdefault(_key(row.get(field, False)), set()).add(row["id"])

    def _index_remove(self, model: str, row: Record) -> None:
        for field in self._indexed.get(model, ()):
            ids = self.indexes[(model, field)].get(_key(row.get(field, False)))
            if ids is not None:
                ids.discard(row["id"])

    # -- transactions ------------------------------------------------------------------------
    def begin(self) -> None:
        self._undo = []

    def commit(self) -> None:
        if self._undo:
            self.dirty = True
        self._undo = None

    def savepoint(self) -> int:
        """A point inside the current call's transaction that :meth:`rollback_to` returns to."""
        return len(self._undo) if self._undo is not None else 0

    def rollback_to(self, marker: int) -> None:
        undo = self._undo or []
        for action, model, rec_id, old in reversed(undo[marker:]):
            table = self.tables[model]
            current = table.pop(rec_id, None)
            if current is not None:
                self._index_remove(model, current)
            if action != "insert":  # update or delete: restore the previous row
                assert old is not None
                table[rec_id] = old
                self._index_add(model, old)
        del undo[marker:]

    def rollback(self) -> None:
        self.rollback_to(0)
        self._undo = None

    # -- rows ----------------------------------------------------------------------------------
    def table(self, model: str) -> dict[Any, Record]:
        return self.tables.setdefault(model, {})

    def insert(self, model: str, values: Record) -> int:
        rec_id = self.next_ids.get(model, 1)
        self.next_ids[model] = rec_id + 1
        row = dict(values)
        row["id"] = rec_id
        self.table(model)[rec_id] = row
        self._index_add(model, row)
        if self._undo is not None:
            self._undo.append(("insert", model, rec_id, None))
        else:
            self.dirty = True
        return rec_id

    def update(self, model: str, rec_id: int, changes: Record) -> None:
        row = self.tables[model][rec_id]
        if self._undo is not None:
            self._undo.append(("update", model, rec_id, copy.copy(row)))
        else:
            self.dirty = True
        indexed = self._indexed.get(model)
        if indexed and any(f in changes for f in indexed):
            self._index_remove(model, row)
            row.update(changes)
            self._index_add(model, row)
        else:
            row.update(changes)
        key = (model, rec_id)
        self.versions[key] = self.versions.get(key, 0) + 1

    def delete(self, model: str, rec_id: int) -> None:
        row = self.tables[model].pop(rec_id)
        self._index_remove(model, row)
        if self._undo is not None:
            self._undo.append(("delete", model, rec_id, row))
        else:
            self.dirty = True
        key = (model, rec_id)
        self.versions[key] = self.versions.get(key, 0) + 1

    def next_sequence(self, code: str) -> int:
        value = self.sequences.get(code, 0) + 1
        self.sequences[code] = value
        self.dirty = True
        return value

    def version(self, model: str, rec_id: int) -> int:
        return self.versions.get((model, rec_id), 0)

    # -- snapshots -------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "format": 1,
            "tables": {m: [row for row in t.values()] for m, t in self.tables.items()},
            "next_ids": self.next_ids,
            "sequences": self.sequences,
            "passwords": {str(k): v for k, v in self.passwords.items()},
            "api_keys": self.api_keys,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Database:
        db = cls()
        for model, rows in data["tables"].items():
            db.tables[model] = {int(row["id"]): dict(row) for row in rows}
        db.next_ids = {k: int(v) for k, v in data["next_ids"].items()}
        db.sequences = {k: int(v) for k, v in data["sequences"].items()}
        db.passwords = {int(k): v for k, v in data["passwords"].items()}
        db.api_keys = {k: int(v) for k, v in data["api_keys"].items()}
        return db


def _key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
