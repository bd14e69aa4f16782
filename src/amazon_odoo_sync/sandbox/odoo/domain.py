"""Odoo domains, evaluated in memory: prefix ``&``/``|``/``!``, dotted paths, Odoo's operators.

Semantics follow ``odoo/osv/expression.py`` where a connector can notice them: ``!=``/``not in``/
``not ilike`` include empty values (Odoo adds ``OR field IS NULL``), ``like``/``ilike`` wrap the
value in ``%``, ``=like``/``=ilike`` take it as a pattern, x2many leaves mean "any related record".
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .errors import OdooValueError

if TYPE_CHECKING:
    from .database import Record
    from .orm import Env, Model

__all__ = ["compile_domain", "domain_candidates", "domain_mentions"]

Predicate = Callable[["Record"], bool]

OPERATORS = frozenset({
    "=", "!=", "<=", "<", ">", ">=", "=?", "=like", "=ilike", "like", "not like", "ilike", "not ilike",
    "in", "not in", "child_of", "parent_of", "any", "not any",
})
NEGATIVE = frozenset({"!=", "not like", "not ilike", "not in", "not any"})
_POSITIVE_OF = {"!=": "=", "not like": "like", "not ilike": "ilike", "not in": "in", "not any": "any"}


def _is_leaf(token: Any) -> bool:
    return isinstance(token, list | tuple) and len(token) == 3


def domain_mentions(domain: list[Any], name: str) -> bool:
    return any(_is_leaf(t) and isinstance(t[0], str) and t[0].split(".")[0] == name for t in domain)


def compile_domain(env: Env, model: Model, domain: list[Any]) -> Predicate:
    stack: list[Predicate] = []
    for token in reversed(domain):
        if token == "&" or token == "|":
            if len(stack) < 2:
                raise OdooValueError(f"Invalid domain {domain!r}: operator {token!r} lacks operands")
            a, b = stack.pop(), stack.pop()
            stack.append(_and(a, b) if token == "&" else _or(a, b))
        elif token == "!":
            if not stack:
                raise OdooValueError(f"Invalid domain {domain!r}: '!' lacks an operand")
            stack.append(_not(stack.pop()))
        elif _is_leaf(token):
            stack.append(_leaf(env, model, token))
        else:
            raise OdooValueError(f"Invalid leaf {token!r}")
    if not stack:
        return lambda row: True
    predicate = stack.pop()
    while stack:
        predicate = _and(predicate, stack.pop())
    return predicate


def _not(a: Predicate) -> Predicate:
    return lambda row: not a(row)


def _and(a: Predicate, b: Predicate) -> Predicate:
    return lambda row: a(row) and b(row)


def _or(a: Predicate, b: Predicate) -> Predicate:
    return lambda row: a(row) or b(row)


def _leaf(env: Env, model: Model, leaf: Any) -> Predicate:
    path, op, value = leaf
    if not isinstance(path, str):
        constant = (path == value) if op == "=" else (path != value)
        return lambda row: constant
    if op not in OPERATORS:
        raise OdooValueError(f"Invalid operator {op!r} in leaf {tuple(leaf)!r}")
    name, _, rest = path.partition(".")
    f = model._fields.get(name)
    if f is None:
        raise OdooValueError(f"Invalid field {model._name}.{name} in leaf {tuple(leaf)!r}")
    relational = f.type in ("many2one", "one2many", "many2many")
    if relational:
        comodel = env[f.relation or ""]
        if not rest and op in ("any", "not any"):
            sub = compile_domain(env, comodel, list(value))
            return _related(env, model, name, f.type, comodel, sub, negate=op == "not any")
        if not rest and _names_a_record(value) and op not in ("child_of", "parent_of"):
            rest = comodel._rec_name or "display_name"
        if rest:
            negate = op in NEGATIVE
            sub = _leaf(env, comodel, (rest, _POSITIVE_OF.get(op, op), value))
            return _related(env, model, name, f.type, comodel, sub, negate=negate)
    elif rest:
        raise OdooValueError(f"Invalid field {model._name}.{path} in leaf {tuple(leaf)!r}")
    if op in ("child_of", "parent_of"):
        target = env[f.relation or ""] if relational else model
        ids = _hierarchy(env, target, value, down=op == "child_of")
        if f.type == "many2one" or name == "id":
            return lambda row: model._get(env, row, name) in ids
        return lambda row: bool(ids.intersection(model._get(env, row, name)))
    if f.type in ("one2many", "many2many"):
        return _x2many_leaf(env, model, name, op, value)
    return _value_leaf(env, model, name, op, value)


def _names_a_record(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list | tuple) and bool(value) and all(isinstance(v, str) for v in value)


def _related(env: Env, model: Model, name: str, ftype: str, comodel: Model, sub: Predicate,
             negate: bool) -> Predicate:
    table = env.db.table(comodel._name)

    def test(row: Record) -> bool:
        value = model._get(env, row, name)
        ids = ([value] if value else []) if ftype == "many2one" else value
        found = any(sub(table[i]) for i in ids if i in table)
        return not found if negate else found

    return test


def _hierarchy(env: Env, target: Model, value: Any, down: bool) -> set[int]:
    if isinstance(value, str):
        start = set(target._search(env, [(target._rec_name or "name", "=", value)]))
    else:
        start = set(value if isinstance(value, list | tuple) else [value]) - {False}
    parent = target._parent_name
    if not parent:
        return start
    table = env.db.table(target._name)
    result = set(start)
    if down:
        frontier = set(start)
        while frontier:
            frontier = {i for i, row in table.items() if row.get(parent) in frontier} - result
            result |= frontier
    else:
        for rec_id in start:
            row = table.get(rec_id)
            while row and row.get(parent):
                result.add(row[parent])
                row = table.get(row[parent])
    return result


def _x2many_leaf(env: Env, model: Model, name: str, op: str, value: Any) -> Predicate:
    get = model._get
    if op in ("=", "in", "!=", "not in"):
        if value is False or value is None or value == []:
            wanted: set[Any] = set()
        else:
            wanted = set(value) if isinstance(value, list | tuple) else {value}
        if not wanted:
            empty_matches = op in ("=", "in")
            return lambda row: (not get(env, row, name)) == empty_matches
        if op in ("=", "in"):
            return lambda row: bool(wanted.intersection(get(env, row, name)))
        return lambda row: not wanted.intersection(get(env, row, name))
    raise OdooValueError(f"Operator {op!r} is not supported on {model._name}.{name} by the emulator")


def _falsy(value: Any) -> bool:
    return value is False or value is None or value == ""


def _value_leaf(env: Env, model: Model, name: str, op: str, value: Any) -> Predicate:
    get = model._get
    if name == "id" and op in ("=", "in"):
        ids = set(value) if isinstance(value, list | tuple) else {value}
        return lambda row: row["id"] in ids
    if op == "=?":
        if value is False or value is None:
            return lambda row: True
        op = "="
    if op in ("=", "!="):
        if isinstance(value, list | tuple):
            op = "in" if op == "=" else "not in"
        else:
            if value is False or value is None:
                pred: Predicate = lambda row: _falsy(get(env, row, name))  # noqa: E731
            else:
                pred = lambda row: get(env, row, name) == value  # noqa: E731
            if op == "=":
                return pred
            return lambda row: not pred(row)
    if op in ("in", "not in"):
        if not isinstance(value, list | tuple):
            value = [value]
        values = set(v for v in value if v is not False and v is not None)
        with_empty = len(values) < len(value)

        def member(row: Record) -> bool:
            v = get(env, row, name)
            return with_empty if _falsy(v) else v in values

        if op == "in":
            return member
        return lambda row: not member(row)
    if op in ("<", ">", "<=", ">="):
        compare: Callable[[Any, Any], Any] = {"<": operator.lt, ">": operator.gt, "<=": operator.le,
                                              ">=": operator.ge}[op]

        def ordered(row: Record) -> bool:
            v = get(env, row, name)
            if _falsy(v) and not isinstance(v, int | float):
                return False
            try:
                return bool(compare(v, value))
            except TypeError:
                return False

        return ordered
    if op in ("like", "ilike", "=like", "=ilike", "not like", "not ilike"):
        negative = op.startswith("not")
        base = op.removeprefix("not ")
        if value is False or value is None:
            # Odoo: ('f', 'ilike', False) means "is empty".
            return (lambda row: not _falsy(get(env, row, name))) if negative else \
                (lambda row: _falsy(get(env, row, name)))
        pattern = str(value) if base.startswith("=") else f"%{value}%"
        regex = _like_regex(pattern, base.endswith("ilike"))

        def like(row: Record) -> bool:
            v = get(env, row, name)
            if _falsy(v):
                return negative  # NULLs are included by negative operators
            matched = regex.match(str(v)) is not None
            return not matched if negative else matched

        return like
    raise OdooValueError(f"Invalid operator {op!r} for {model._name}.{name}")


@lru_cache(maxsize=512)
def _like_regex(pattern: str, insensitive: bool) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("^" + "".join(parts) + "$", re.DOTALL | (re.IGNORECASE if insensitive else 0))


def domain_candidates(env: Env, model: Model, domain: list[Any]) -> set[int] | None:
    """A superset of matching ids taken from an index, or None: only for plain AND domains."""
    if any(t in ("|", "!") for t in domain):
        return None
    best: set[int] | None = None
    for token in domain:
        if not _is_leaf(token) or not isinstance(token[0], str) or "." in token[0]:
            continue
        name, op, value = token
        if name == "id" and op in ("=", "in"):
            found: set[int] | None = set(value) if isinstance(value, list | tuple) else {value}
        elif op == "=" and not isinstance(value, list | tuple) and value is not None:
            f = model._fields.get(name)
            if f is None or (f.type == "many2one" and isinstance(value, str)):
                continue
            found = env.db.lookup(model._name, name, value)
        elif op == "in" and isinstance(value, list | tuple):
            f = model._fields.get(name)
            if f is None or (f.type == "many2one" and any(isinstance(v, str) for v in value)):
                continue
            found = None
            for v in value:
                hit = env.db.lookup(model._name, name, v)
                if hit is None:
                    found = None
                    break
                found = (found or set()) | hit
        else:
            continue
        if found is not None and (best is None or len(found) < len(best)):
            best = found
    return best

