"""A small ORM with Odoo 18's external behaviour: fields, create/write/read/search and their errors.

Models subclass :class:`Model`, declare ``FIELDS`` and override the hooks (``_prepare_create``,
``_post_create``, ``_prepare_write``, ``_post_write``, ``_check``, ``_check_unlink``). Public
methods (no leading underscore) are what RPC can call; model-level ones are listed in
``MODEL_METHODS`` (they take ``args`` as is), the others receive the ids first, as in Odoo.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .database import Database, Record
from .domain import compile_domain, domain_candidates, domain_mentions
from .errors import EmulatorError, MissingError, OdooTypeError, OdooValueError, ValidationError

__all__ = [
    "MODEL_METHODS", "Env", "Field", "Model", "Vals", "boolean", "char", "date_field", "datetime_field",
    "float_round", "floating", "html", "integer", "many2many", "many2one", "monetary", "normalize_ids",
    "one2many", "selection", "text",
]

Vals = dict[str, Any]

#: Methods that take ``args`` as is (``@api.model``), not ids first.
MODEL_METHODS = frozenset({
    "create", "search", "search_read", "search_count", "fields_get", "default_get", "name_search",
    "read_group", "name_create", "check_access_rights", "get_views", "web_search_read", "load",
})

_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMPTY: dict[str, Any] = {
    "one2many": [], "many2many": [], "integer": 0, "float": 0.0, "monetary": 0.0, "boolean": False,
}


def float_round(value: float, digits: int = 2) -> float:
    """Round half away from zero, as Odoo's ``float_round`` does for currency amounts."""
    factor = 10 ** digits
    scaled = abs(value) * factor
    rounded = int(scaled + 0.5 + 1e-9)
    result: float = rounded / factor
    return -result if value < 0 else result


def normalize_ids(ids: Any) -> list[int]:
    if isinstance(ids, bool):
        raise OdooTypeError("ids must be an int or a list of ints")
    if isinstance(ids, int):
        return [ids]
    if isinstance(ids, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        return list(ids)
    raise OdooTypeError(f"Invalid ids {ids!r}: expected an int or a list of ints")


@dataclass(kw_only=True)
class Field:
    """One field. ``compute`` makes it non-stored: called as ``compute(env, row)`` on read/search."""

    type: str
    string: str = ""
    required: bool = False
    readonly: bool = False
    default: Any = None
    selection: tuple[str, ...] | None = None
    relation: str | None = None
    inverse_name: str | None = None
    compute: Callable[[Env, Record], Any] | None = None
    inverse: Callable[[Env, int, Any], None] | None = None
    ondelete: str = "set null"
    size: int | None = None
    index: bool = False
    #: Set on fields delegated through ``_inherits``: the many2one holding the parent.
    delegate: str | None = None
    name: str = field(default="", init=False)

    @property
    def stored(self) -> bool:
        return self.compute is None and self.type != "one2many" and self.delegate is None

    def empty(self) -> Any:
        return list(_EMPTY[self.type]) if self.type in ("one2many", "many2many") else _EMPTY.get(self.type, False)

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "type": self.type, "string": self.string or self.name.replace("_", " ").title(),
            "required": self.required, "readonly": self.readonly or self.compute is not None and self.inverse is None,
            "store": self.compute is None and self.type != "one2many",
            "searchable": True, "sortable": self.stored,
        }
        if self.selection is not None:
            info["selection"] = [[v, v.replace("_", " ").title()] for v in self.selection]
        if self.relation:
            info["relation"] = self.relation
        if self.inverse_name:
            info["relation_field"] = self.inverse_name
        if self.size:
            info["size"] = self.size
        return info


class Env:
    """One call's environment: the database, the user and the (initially empty) context."""

    def __init__(self, db: Database, registry: dict[str, Model], uid: int, context: dict[str, Any] | None,
                 now: Callable[[], datetime]) -> None:
        self.db = db
        self.registry = registry
        self.uid = uid
        self.context: dict[str, Any] = dict(context or {})
        self._now = now

    def __getitem__(self, name: str) -> Model:
        return self.registry[name]

    def with_context(self, **changes: Any) -> Env:
        return Env(self.db, self.registry, self.uid, {**self.context, **changes}, self._now)

    def now(self) -> datetime:
        return self._now().astimezone(UTC)

    def now_str(self) -> str:
        return self.now().strftime("%Y-%m-%d %H:%M:%S")

    def today(self) -> str:
        return self.now().strftime("%Y-%m-%d")

    @property
    def company_id(self) -> int:
        allowed = self.context.get("allowed_company_ids")
        if isinstance(allowed, list) and allowed:
            return int(allowed[0])
        return 1

    def row(self, model: str, rec_id: int) -> Record:
        return self.db.tables[model][rec_id]

    def rows(self, model: str, ids: Iterable[int]) -> list[Record]:
        table = self.db.table(model)
        return [table[i] for i in ids if i in table]


class Model:
    _name: ClassVar[str] = ""
    _description: ClassVar[str] = ""
    _order: ClassVar[str] = "id"
    _rec_name: ClassVar[str | None] = "name"
    _parent_name: ClassVar[str | None] = None
    _inherits: ClassVar[dict[str, str]] = {}
    _transient: ClassVar[bool] = False
    #: Fields other than the inverse of a one2many that searches should find fast.
    _indexes: ClassVar[tuple[str, ...]] = ()
    FIELDS: ClassVar[dict[str, Field]] = {}

    def __init__(self) -> None:
        base = {
            "id": Field(type="integer", readonly=True),
            "display_name": Field(type="char", compute=self._display_name),
            "create_date": Field(type="datetime", readonly=True),
            "write_date": Field(type="datetime", readonly=True),
            "create_uid": Field(type="many2one", relation="res.users", readonly=True),
            "write_uid": Field(type="many2one", relation="res.users", readonly=True),
        }
        self._fields: dict[str, Field] = {**base, **{k: _copy(f) for k, f in self.FIELDS.items()}}
        for name, f in self._fields.items():
            f.name = name

    # -- setup -----------------------------------------------------------------------------------
    def _setup(self, registry: dict[str, Model], db: Database) -> None:
        for parent, link in self._inherits.items():
            for name, pf in registry[parent]._fields.items():
                if name not in self._fields and name != "id":
                    delegated = _copy(pf)
                    delegated.name = name
                    delegated.delegate = link
                    delegated.compute = None
                    self._fields[name] = delegated
        for f in self._fields.values():
            if f.type == "one2many" and f.relation and f.inverse_name:
                db.add_index(f.relation, f.inverse_name)
        for name in self._indexes:
            db.add_index(self._name, name)

    # -- values ----------------------------------------------------------------------------------
    def _display_name(self, env: Env, row: Record) -> Any:
        if self._rec_name and self._rec_name in self._fields:
            value = self._get(env, row, self._rec_name)
            return value if value else False
        return f"{self._name},{row['id']}"

    def _get(self, env: Env, row: Record, name: str) -> Any:
        """The internal value of ``name``: ids for relations, strings for dates, False when empty."""
        f = self._fields[name]
        if f.delegate:
            parent_model = self._parent_of(f.delegate)
            parent_id = row.get(f.delegate)
            if not parent_id:
                return f.empty()
            return env[parent_model]._get(env, env.row(parent_model, parent_id), name)
        if f.compute is not None:
            return f.compute(env, row)
        if f.type == "one2many":
            assert f.relation and f.inverse_name
            ids = env.db.lookup(f.relation, f.inverse_name, row["id"]) or set()
            comodel = env[f.relation]
            if "active" in comodel._fields and env.context.get("active_test") is not False:
                table = env.db.table(f.relation)
                ids = {i for i in ids if table[i].get("active", True)}
            return sorted(ids)
        value = row.get(name)
        if value is None:
            return f.empty()
        return value

    def _parent_of(self, link: str) -> str:
        for parent, fname in self._inherits.items():
            if fname == link:
                return parent
        raise KeyError(link)

    def _export(self, env: Env, row: Record, name: str, load: str | None) -> Any:
        """A value as ``read`` returns it over RPC."""
        f = self._fields[name]
        value = self._get(env, row, name)
        if f.type == "many2one":
            if not value:
                return False
            if load != "_classic_read":
                return value
            comodel = env[f.relation or ""]
            target = env.db.table(comodel._name).get(value)
            label = comodel._get(env, target, "display_name") if target else False
            return [value, label]
        if f.type in ("one2many", "many2many"):
            return list(value)
        if f.type in ("char", "text", "html", "selection", "date", "datetime") and value in ("", None):
            return False
        return value

    # -- conversion --------------------------------------------------------------------------------
    def _convert(self, env: Env, f: Field, value: Any) -> Any:
        t = f.type
        if value is None:
            value = False
        if t in ("char", "text", "html"):
            if value is False:
                return False
            return str(value)
        if t == "selection":
            if value is False:
                return False
            if f.selection is not None and value not in f.selection:
                raise OdooValueError(f"Wrong value for {self._name}.{f.name}: {value!r}")
            return value
        if t == "integer":
            return int(value) if value is not False else 0
        if t in ("float", "monetary"):
            return float(value) if value is not False else 0.0
        if t == "boolean":
            return bool(value)
        if t == "date":
            return _to_date(value)
        if t == "datetime":
            return _to_datetime(value)
        if t == "many2one":
            if value is False or value == 0:
                return False
            if isinstance(value, list | tuple) and value:
                value = value[0]
            if not isinstance(value, int) or isinstance(value, bool):
                raise OdooValueError(f"Wrong value for {self._name}.{f.name}: {value!r}")
            if value not in env.db.table(f.relation or ""):
                raise ValidationError(
                    "The operation cannot be completed: another model requires the record being "
                    f"referenced. Missing record {f.relation}({value},) for {self._name}.{f.name}.")
            return value
        raise OdooValueError(f"Cannot convert {f.name}")

    def _check_fields(self, vals: Vals) -> None:
        if not isinstance(vals, dict):
            raise OdooTypeError(f"Values for {self._name} must be a dict, got {type(vals).__name__}")
        for key in vals:
            if key not in self._fields:
                raise OdooValueError(f"Invalid field {key!r} on model {self._name!r}")

    # -- hooks -------------------------------------------------------------------------------------
    def _prepare_create(self, env: Env, vals: Vals) -> Vals:
        return vals

    def _post_create(self, env: Env, rec_id: int, vals: Vals) -> None:
        pass

    def _prepare_write(self, env: Env, ids: list[int], vals: Vals) -> Vals:
        return vals

    def _post_write(self, env: Env, ids: list[int], vals: Vals) -> None:
        pass

    def _check(self, env: Env, ids: list[int]) -> None:
        pass

    def _check_unlink(self, env: Env, ids: list[int]) -> None:
        pass

    # -- create ------------------------------------------------------------------------------------
    def create(self, env: Env, vals_list: Any) -> Any:
        single = isinstance(vals_list, dict)
        if not single and not isinstance(vals_list, list):
            raise OdooTypeError("create() takes a dict or a list of dicts")
        ids = [self._create_one(env, vals) for vals in ([vals_list] if single else vals_list)]
        return ids[0] if single else ids

    def _create_one(self, env: Env, vals: Any) -> int:
        self._check_fields(vals)
        vals = dict(vals)
        for key, value in env.context.items():
            if key.startswith("default_") and key[8:] in self._fields and key[8:] not in vals:
                vals[key[8:]] = value
        for name, f in self._fields.items():
            if name not in vals and f.default is not None and not f.delegate:
                vals[name] = f.default(env) if callable(f.default) else f.default
        vals = self._prepare_create(env, vals)
        for parent, link in self._inherits.items():
            parent_vals = {k: vals.pop(k) for k in list(vals) if self._fields[k].delegate == link}
            if vals.get(link):
                if parent_vals:
                    env[parent].write(env, [vals[link]], parent_vals)
            else:
                vals[link] = env[parent]._create_one(self._inherits_env(env), parent_vals)
        row: Record = {}
        later: list[tuple[Field, Any]] = []
        for name, value in vals.items():
            f = self._fields[name]
            if f.type in ("one2many",):
                later.append((f, value))
            elif f.type == "many2many":
                row[name] = self._m2m(env, f, [], value)
            elif f.stored:
                row[name] = self._convert(env, f, value)
            elif f.inverse is not None:
                later.append((f, value))
        for name, f in self._fields.items():
            if f.required and f.stored and _is_empty(row.get(name, False), f):
                raise _missing_required(self, f)
        now = env.now_str()
        row.update(create_date=now, write_date=now, create_uid=env.uid, write_uid=env.uid)
        rec_id = env.db.insert(self._name, row)
        for f, value in later:
            if f.type == "one2many":
                self._o2m(env, f, rec_id, value)
            elif f.inverse is not None:
                f.inverse(env, rec_id, value)
        self._post_create(env, rec_id, vals)
        self._check(env, [rec_id])
        return rec_id

    def _inherits_env(self, env: Env) -> Env:
        return env

    # -- write -------------------------------------------------------------------------------------
    def write(self, env: Env, ids: Any, vals: Any) -> bool:
        ids = self._existing(env, normalize_ids(ids))
        self._check_fields(vals)
        vals = self._prepare_write(env, ids, dict(vals))
        self._write(env, ids, vals)
        self._post_write(env, ids, vals)
        self._check(env, ids)
        return True

    def _write(self, env: Env, ids: list[int], vals: Vals) -> None:
        """Store ``vals`` without hooks (internal writes by business methods use this)."""
        for parent, link in self._inherits.items():
            parent_vals = {k: vals[k] for k in vals if self._fields[k].delegate == link}
            if parent_vals:
                parent_ids = sorted({env.row(self._name, i)[link] for i in ids})
                env[parent].write(env, parent_ids, parent_vals)
        changes: Record = {}
        later: list[tuple[Field, Any]] = []
        for name, value in vals.items():
            f = self._fields[name]
            if f.delegate:
                continue
            if f.type in ("one2many", "many2many") or (not f.stored and f.inverse is not None):
                later.append((f, value))
            elif f.stored:
                changes[name] = self._convert(env, f, value)
                if f.required and _is_empty(changes[name], f):
                    raise _missing_required(self, f)
        changes.update(write_date=env.now_str(), write_uid=env.uid)
        for rec_id in ids:
            row_changes = dict(changes)
            for f, value in later:
                if f.type == "many2many":
                    row_changes[f.name] = self._m2m(env, f, env.row(self._name, rec_id).get(f.name) or [], value)
            env.db.update(self._name, rec_id, row_changes)
            for f, value in later:
                if f.type == "one2many":
                    self._o2m(env, f, rec_id, value)
                elif f.inverse is not None:
                    f.inverse(env, rec_id, value)

    def _taken(self, env: Env, field: str, value: Any) -> bool:
        """More than one record of this model has ``value`` in the indexed ``field`` (a unique
        constraint broken)."""
        return len(env.db.lookup(self._name, field, value) or ()) > 1

    def _existing(self, env: Env, ids: list[int]) -> list[int]:
        table = env.db.table(self._name)
        missing = [i for i in ids if i not in table]
        if missing:
            raise MissingError(
                "Record does not exist or has been deleted.\n"
                f"(Record: {self._name}({', '.join(map(str, missing))},), User: {env.uid})")
        return ids

    # -- relations -----------------------------------------------------------------------------------
    def _m2m(self, env: Env, f: Field, current: list[int], commands: Any) -> list[int]:
        ids = list(current)
        if commands is False or commands is None:
            return []
        if not isinstance(commands, list):
            raise OdooValueError(f"Wrong value for {self._name}.{f.name}: {commands!r}")
        comodel = env[f.relation or ""]
        if all(isinstance(c, int) and not isinstance(c, bool) for c in commands):
            commands = [[6, 0, commands]]
        for command in commands:
            if not isinstance(command, list | tuple) or not command:
                raise OdooValueError(f"Wrong value for {self._name}.{f.name}: {command!r}")
            op = command[0]
            if op == 0:
                ids.append(comodel._create_one(env, command[2]))
            elif op == 1:
                comodel.write(env, [command[1]], command[2])
            elif op == 2:
                comodel.unlink(env, [command[1]])
                ids = [i for i in ids if i != command[1]]
            elif op == 3:
                ids = [i for i in ids if i != command[1]]
            elif op == 4:
                comodel._existing(env, [command[1]])
                if command[1] not in ids:
                    ids.append(command[1])
            elif op == 5:
                ids = []
            elif op == 6:
                new = normalize_ids(list(command[2]))
                comodel._existing(env, new)
                ids = list(dict.fromkeys(new))
            else:
                raise OdooValueError(f"Unknown x2many command {op!r} for {self._name}.{f.name}")
        return ids

    def _o2m(self, env: Env, f: Field, rec_id: int, commands: Any) -> None:
        comodel = env[f.relation or ""]
        inverse = f.inverse_name or ""
        if commands is False or commands is None:
            commands = [[5]]
        if not isinstance(commands, list):
            raise OdooValueError(f"Wrong value for {self._name}.{f.name}: {commands!r}")
        if all(isinstance(c, int) and not isinstance(c, bool) for c in commands):
            commands = [[6, 0, commands]]
        cascade = comodel._fields[inverse].ondelete == "cascade" or comodel._fields[inverse].required

        def detach(child: int) -> None:
            if cascade:
                comodel.unlink(env, [child])
            else:
                comodel._write(env, [child], {inverse: False})

        for command in commands:
            if not isinstance(command, list | tuple) or not command:
                raise OdooValueError(f"Wrong value for {self._name}.{f.name}: {command!r}")
            op = command[0]
            if op == 0:
                comodel._create_one(env, {**command[2], inverse: rec_id})
            elif op == 1:
                comodel.write(env, [command[1]], command[2])
            elif op == 2:
                comodel.unlink(env, [command[1]])
            elif op == 3:
                detach(command[1])
            elif op == 4:
                comodel._write(env, comodel._existing(env, [command[1]]), {inverse: rec_id})
            elif op == 5:
                for child in sorted(env.db.lookup(comodel._name, inverse, rec_id) or ()):
                    detach(child)
            elif op == 6:
                keep = set(normalize_ids(list(command[2])))
                for child in sorted(env.db.lookup(comodel._name, inverse, rec_id) or ()):
                    if child not in keep:
                        detach(child)
                comodel._write(env, comodel._existing(env, sorted(keep)), {inverse: rec_id})
            else:
                raise OdooValueError(f"Unknown x2many command {op!r} for {self._name}.{f.name}")

    # -- read ----------------------------------------------------------------------------------------
    def read(self, env: Env, ids: Any, fields: list[str] | None = None,
             load: str | None = "_classic_read") -> list[Vals]:
        ids = normalize_ids(ids)
        names = self._field_names(fields)
        table = env.db.table(self._name)
        return [self._read_row(env, table[i], names, load) for i in ids if i in table]

    def _field_names(self, fields: list[str] | None) -> list[str]:
        if not fields:
            return [n for n in self._fields if n != "id"]
        for name in fields:
            if name not in self._fields:
                raise OdooValueError(f"Invalid field {name!r} on model {self._name!r}")
        return [n for n in fields if n != "id"]

    def _read_row(self, env: Env, row: Record, names: list[str], load: str | None) -> Vals:
        out: Vals = {"id": row["id"]}
        for name in names:
            out[name] = self._export(env, row, name, load)
        return out

    # -- search ----------------------------------------------------------------------------------------
    def _search(self, env: Env, domain: Any, offset: int = 0, limit: int | None = None,
                order: str | None = None) -> list[int]:
        if domain is None or domain is False:
            domain = []
        if not isinstance(domain, list):
            raise OdooValueError(f"Invalid domain {domain!r}")
        if "active" in self._fields and env.context.get("active_test", True) is not False \
                and not domain_mentions(domain, "active"):
            domain = ["&", ("active", "=", True), *_as_and(domain)] if domain else [("active", "=", True)]
        table = env.db.table(self._name)
        predicate = compile_domain(env, self, domain)
        candidates = domain_candidates(env, self, domain)
        rows = table.values() if candidates is None else [table[i] for i in candidates if i in table]
        matched = [row for row in rows if predicate(row)]
        matched = self._sort(env, matched, order or self._order)
        if offset:
            matched = matched[int(offset):]
        if limit:
            matched = matched[: int(limit)]
        return [row["id"] for row in matched]

    def _sort(self, env: Env, rows: list[Record], order: str) -> list[Record]:
        if order == "id":
            return sorted(rows, key=lambda r: r["id"])
        terms = []
        for part in order.split(","):
            bits = part.strip().split()
            if not bits:
                continue
            name = bits[0]
            direction = bits[1].lower() if len(bits) > 1 else "asc"
            if name not in self._fields or direction not in ("asc", "desc"):
                raise OdooValueError(f"Invalid \"order\" specified ({order}).")
            terms.append((name, direction == "desc"))
        for name, desc in reversed(terms):
            rows = sorted(rows, key=self._sort_getter(env, name), reverse=desc)
        return rows

    def _sort_getter(self, env: Env, name: str) -> Callable[[Record], tuple[int, Any]]:
        return lambda row: _sort_key(self._get(env, row, name))

    def search(self, env: Env, domain: Any = None, offset: int = 0, limit: int | None = None,
               order: str | None = None) -> list[int]:
        return self._search(env, domain, offset, limit, order)

    def search_count(self, env: Env, domain: Any = None, limit: int | None = None) -> int:
        return len(self._search(env, domain, 0, limit, "id"))

    def search_read(self, env: Env, domain: Any = None, fields: list[str] | None = None, offset: int = 0,
                    limit: int | None = None, order: str | None = None, load: str | None = "_classic_read"
                    ) -> list[Vals]:
        names = self._field_names(fields)
        ids = self._search(env, domain, offset, limit, order)
        table = env.db.table(self._name)
        return [self._read_row(env, table[i], names, load) for i in ids]

    def name_search(self, env: Env, name: str = "", args: Any = None, operator: str = "ilike",
                    limit: int = 100, domain: Any = None) -> list[list[Any]]:
        dom = list(args or domain or [])
        if name and self._rec_name:
            dom = ["&", *_as_and(dom), (self._rec_name, operator, name)] if dom else [(self._rec_name, operator, name)]
        ids = self._search(env, dom, 0, limit, None)
        table = env.db.table(self._name)
        return [[i, self._get(env, table[i], "display_name")] for i in ids]

    def read_group(self, env: Env, domain: Any, fields: list[str], groupby: Any, offset: int = 0,
                   limit: int | None = None, orderby: str | None = None, lazy: bool = True) -> list[Vals]:
        groupby = [groupby] if isinstance(groupby, str) else list(groupby)
        if not groupby:
            raise OdooValueError("read_group needs a groupby in this emulator")
        gb = groupby[0].split(":")[0]
        if gb not in self._fields:
            raise OdooValueError(f"Invalid field {gb!r} on model {self._name!r}")
        aggregates: list[tuple[str, str, str]] = []
        for spec in fields:
            alias, _, rest = spec.partition(":")
            fname, func = (rest.partition("(")[2].rstrip(")") or alias, rest.partition("(")[0]) if "(" in rest \
                else (alias, rest or "sum")
            if fname in self._fields and self._fields[fname].type in ("integer", "float", "monetary"):
                aggregates.append((alias, fname, func))
        groups: dict[Any, list[Record]] = {}
        table = env.db.table(self._name)
        for rec_id in self._search(env, domain):
            row = table[rec_id]
            key = self._get(env, row, gb)
            groups.setdefault(tuple(key) if isinstance(key, list) else key, []).append(row)
        result = []
        for key, rows in groups.items():
            value = self._export(env, rows[0], gb, "_classic_read")
            group: Vals = {gb: value, f"{gb}_count" if lazy else "__count": len(rows),
                           "__domain": [(gb, "=", key if not isinstance(key, tuple) else list(key)),
                                        *_as_and(domain or [])]}
            for alias, fname, func in aggregates:
                values = [self._get(env, r, fname) for r in rows]
                if func == "max":
                    group[alias] = max(values)
                elif func == "min":
                    group[alias] = min(values)
                elif func == "avg":
                    group[alias] = sum(values) / len(values)
                else:
                    group[alias] = sum(values)
            result.append(group)
        return result[offset:][:limit] if limit else result[offset:]

    # -- other ORM methods -------------------------------------------------------------------------------
    def unlink(self, env: Env, ids: Any) -> bool:
        ids = [i for i in normalize_ids(ids) if i in env.db.table(self._name)]
        self._check_unlink(env, ids)
        for rec_id in ids:
            if rec_id not in env.db.table(self._name):
                continue
            for f in self._fields.values():
                if f.type == "one2many" and f.relation and f.inverse_name:
                    comodel = env[f.relation]
                    children = sorted(env.db.lookup(f.relation, f.inverse_name, rec_id) or ())
                    if comodel._fields[f.inverse_name].ondelete == "cascade":
                        comodel.unlink(env, children)
                    elif children:
                        comodel._write(env, children, {f.inverse_name: False})
            env.db.delete(self._name, rec_id)
        return True

    def fields_get(self, env: Env, allfields: list[str] | None = None,
                   attributes: list[str] | None = None) -> dict[str, Vals]:
        out = {}
        for name, f in self._fields.items():
            if allfields and name not in allfields:
                continue
            info = f.describe()
            out[name] = {k: v for k, v in info.items() if not attributes or k in attributes}
        return out

    def default_get(self, env: Env, fields_list: list[str]) -> Vals:
        out: Vals = {}
        for name in fields_list:
            if name not in self._fields:
                continue
            f = self._fields[name]
            if f"default_{name}" in env.context:
                out[name] = env.context[f"default_{name}"]
            elif f.default is not None:
                out[name] = f.default(env) if callable(f.default) else f.default
        return out

    def name_create(self, env: Env, name: str) -> list[Any]:
        rec_id = self._create_one(env, {self._rec_name or "name": name})
        return [rec_id, self._get(env, env.row(self._name, rec_id), "display_name")]

    def check_access_rights(self, env: Env, operation: str, raise_exception: bool = True) -> bool | None:
        return None if raise_exception else True

    def check_access(self, env: Env, ids: Any, operation: str) -> None:
        self._existing(env, normalize_ids(ids))
        return None

    def has_access(self, env: Env, ids: Any, operation: str) -> bool:
        return all(i in env.db.table(self._name) for i in normalize_ids(ids))

    def exists(self, env: Env, ids: Any) -> list[int]:
        return [i for i in normalize_ids(ids) if i in env.db.table(self._name)]

    def copy(self, env: Env, ids: Any, default: Vals | None = None) -> list[int]:
        new_ids = []
        for rec_id in self._existing(env, normalize_ids(ids)):
            row = env.row(self._name, rec_id)
            vals = {n: row[n] for n, f in self._fields.items()
                    if f.stored and n in row and n not in ("id", "create_date", "write_date", "create_uid",
                                                          "write_uid", "name") + self._copy_skip}
            vals.update(default or {})
            new_ids.append(self._create_one(env, vals))
        return new_ids

    _copy_skip: ClassVar[tuple[str, ...]] = ()

    def action_archive(self, env: Env, ids: Any) -> bool:
        return self.write(env, ids, {"active": False})

    def action_unarchive(self, env: Env, ids: Any) -> bool:
        return self.write(env, ids, {"active": True})

    # -- import ------------------------------------------------------------------------------------
    def load(self, env: Env, fields: Any, data: Any) -> dict[str, Any]:
        """Odoo's import (``BaseModel.load``): a matrix of strings; a row with ``.id`` updates
        that record, a row without creates one. Values are converted as the import converts
        them: a datetime is in the context's ``tz``, else the user's, else UTC. Any error keeps
        nothing: ``ids`` is False and ``messages`` says why (row index, field), as in Odoo 18."""
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise OdooTypeError("load() takes a list of field names")
        if not isinstance(data, list) or not all(isinstance(r, list) for r in data):
            raise OdooTypeError("load() takes a list of rows (lists)")
        messages: list[dict[str, Any]] = []
        unknown = [f for f in fields if f not in (".id", "id") and f.split("/")[0] not in self._fields]
        for name in unknown:
            messages.append({"type": "error", "message": f"Unknown field {name!r} on model {self._name}",
                             "field": name, "record": 0, "rows": {"from": 0, "to": 0}})
        if messages:
            return {"ids": False, "messages": messages, "nextrow": 0}
        marker = env.db.savepoint()
        ids: list[int] = []
        for index, row in enumerate(data):
            where = {"record": index, "rows": {"from": index, "to": index}}
            vals: Vals = {}
            record_id: int | None = None
            try:
                for name, raw in zip(fields, row, strict=False):
                    if name == ".id":
                        try:
                            record_id = int(raw)
                        except (TypeError, ValueError):
                            record_id = -1
                        if record_id not in env.db.table(self._name):
                            messages.append({"type": "error", "field": ".id", **where,
                                             "message": f"Unknown database identifier '{raw}'"})
                            record_id = None
                            raise _RowSkipped
                        continue
                    vals[name] = self._import_value(env, name, raw)
                if record_id is not None:
                    self.write(env, [record_id], vals)
                    ids.append(record_id)
                else:
                    ids.append(self.create(env, vals))
            except _RowSkipped:
                continue
            except EmulatorError as exc:
                messages.append({"type": "error", "message": str(exc), **where})
        if any(m["type"] == "error" for m in messages):
            env.db.rollback_to(marker)
            return {"ids": False, "messages": messages, "nextrow": 0}
        return {"ids": ids, "messages": messages, "nextrow": 0}

    def _import_value(self, env: Env, name: str, raw: Any) -> Any:
        path = name.split("/")
        f = self._fields[path[0]]
        if raw in ("", None, False):
            return False
        text = str(raw)
        if f.type == "many2one":
            if path[1:] != [".id"]:
                raise OdooValueError(f"Importing {name}: only '{path[0]}/.id' is emulated")
            return int(text)
        if len(path) > 1:
            raise OdooValueError(f"Importing {name}: sub-fields are not emulated")
        if f.type == "datetime":
            # As Odoo 18's import: seconds, minutes or the time may be left out.
            for form in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
                try:
                    parsed = datetime.strptime(text, form)
                    break
                except ValueError:
                    continue
            else:
                raise OdooValueError(f"'{text}' does not seem to be a valid datetime for field "
                                     f"'{f.string or f.name}'")
            tz = env.context.get("tz") or self._user_tz(env)
            try:
                zone = ZoneInfo(tz) if tz else UTC
            except (ZoneInfoNotFoundError, ValueError):
                zone = UTC
            return parsed.replace(tzinfo=zone).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        if f.type == "boolean":
            return text.lower() in ("1", "true", "yes")
        if f.type == "integer":
            return int(text)
        if f.type in ("float", "monetary"):
            return float(text)
        return text

    @staticmethod
    def _user_tz(env: Env) -> str | None:
        user = env.db.table("res.users").get(env.uid)
        return (user or {}).get("tz") or None


class _RowSkipped(Exception):
    """A row of ``load`` already reported its error."""


def _copy(f: Field) -> Field:
    new = Field(**{k: getattr(f, k) for k in f.__dataclass_fields__ if k != "name"})
    new.name = f.name
    return new


def _is_empty(value: Any, f: Field) -> bool:
    if f.type in ("boolean", "integer", "float", "monetary"):
        return value is None
    return value is False or value is None or value == "" or value == []


def _missing_required(model: Model, f: Field) -> ValidationError:
    label = f.string or f.name.replace("_", " ").title()
    return ValidationError(
        "The operation cannot be completed: Missing required value for the field "
        f"'{label}' ({f.name}).\nModel: {model._description or model._name} ({model._name})")


def _to_date(value: Any) -> Any:
    if value is False:
        return False
    if not isinstance(value, str):
        raise OdooValueError(f"Invalid date {value!r}")
    text = value[:10]
    if not _DATE_RE.match(text):
        raise OdooValueError(f"time data {value!r} does not match format '%Y-%m-%d'")
    try:
        date.fromisoformat(text)
    except ValueError as exc:
        raise OdooValueError(str(exc)) from exc
    return text


def _to_datetime(value: Any) -> Any:
    if value is False:
        return False
    if not isinstance(value, str):
        raise OdooValueError(f"Invalid datetime {value!r}")
    if _DATE_RE.match(value):
        value = value + " 00:00:00"
    if not _DATETIME_RE.match(value):
        raise OdooValueError(f"time data {value!r} does not match format '%Y-%m-%d %H:%M:%S'")
    try:
        datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError as exc:
        raise OdooValueError(str(exc)) from exc
    return value


def _sort_key(value: Any) -> tuple[int, Any]:
    # PostgreSQL puts NULLs last in ascending order.
    if value is False or value is None:
        return (1, 0)
    if isinstance(value, list):
        return (0, tuple(value))
    if isinstance(value, str):
        return (0, value.lower())
    return (0, value)


def _as_and(domain: list[Any]) -> list[Any]:
    """``domain`` as one term of an implicit AND (wrap a multi-leaf domain in explicit ``&``)."""
    terms = _count_terms(domain)
    return ["&"] * (terms - 1) + list(domain) if terms > 1 else list(domain)


def _count_terms(domain: list[Any]) -> int:
    """Number of top-level terms of a prefix domain (an implicit AND joins them)."""
    stack = 0
    for token in reversed(domain):
        if token in ("&", "|"):
            stack -= 1
        elif token != "!":
            stack += 1
    return stack


# -- field shortcuts used by the model modules ---------------------------------------------------------
def char(**kw: Any) -> Field:
    return Field(type="char", **kw)


def text(**kw: Any) -> Field:
    return Field(type="text", **kw)


def html(**kw: Any) -> Field:
    return Field(type="html", **kw)


def integer(**kw: Any) -> Field:
    return Field(type="integer", **kw)


def floating(**kw: Any) -> Field:
    return Field(type="float", **kw)


def monetary(**kw: Any) -> Field:
    return Field(type="monetary", **kw)


def boolean(**kw: Any) -> Field:
    return Field(type="boolean", **kw)


def date_field(**kw: Any) -> Field:
    return Field(type="date", **kw)


def datetime_field(**kw: Any) -> Field:
    return Field(type="datetime", **kw)


def selection(values: Iterable[str], **kw: Any) -> Field:
    return Field(type="selection", selection=tuple(values), **kw)


def many2one(relation: str, **kw: Any) -> Field:
    return Field(type="many2one", relation=relation, **kw)


def one2many(relation: str, inverse_name: str, **kw: Any) -> Field:
    return Field(type="one2many", relation=relation, inverse_name=inverse_name, **kw)


def many2many(relation: str, **kw: Any) -> Field:
    return Field(type="many2many", relation=relation, **kw)
