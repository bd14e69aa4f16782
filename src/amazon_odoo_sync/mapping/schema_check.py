"""A fast yes/no check of an instance against a JSON Schema (2019-09, Amazon's keywords), pure.

``jsonschema`` walks a schema through generic machinery (a validator object per subschema, a
reference resolver per ``$ref``): about 1 ms per listing against a product type, 10 s for 10,000
SKUs. Most listings are valid, and "is it valid" needs none of that machinery: :func:`compile_check`
turns a schema once into nested closures that answer it in a fraction of the time. The detailed
problems of an invalid listing still come from ``jsonschema`` (listing_schema.py), which stays the
reference: tests check that both agree.

Only the keywords Amazon's product type schemas use are compiled; a schema with any other
assertion keyword (``unevaluatedProperties``, ``patternProperties``, ``$recursiveRef``...) gets no
fast check (:func:`compile_check` returns None) and is validated by ``jsonschema`` alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

__all__ = ["Check", "compile_check", "json_equal"]

Check = Callable[[Any], bool]

#: Keywords that assert nothing: annotations, Amazon's informational vocabulary, structure.
_ANNOTATIONS = frozenset({
    "$schema", "$id", "$comment", "$defs", "definitions", "$anchor", "$vocabulary", "title",
    "description", "examples", "default", "readOnly", "writeOnly", "deprecated", "editable",
    "hidden", "enumNames", "selectors", "contentMediaType", "contentEncoding",
})
_COMPILED = frozenset({
    "type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "minLength", "maxLength", "pattern", "format", "items", "contains", "minItems",
    "maxItems", "uniqueItems", "properties", "required", "additionalProperties", "minProperties",
    "maxProperties", "dependentRequired", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
    "$ref", "maxUniqueItems", "minUniqueItems", "maxUtf8ByteLength", "minUtf8ByteLength",
})


class _Unsupported(Exception):
    pass


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON Schema means it: true is not 1, 1 is 1.0, lists and objects by content."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(v, b[k]) for k, v in a.items())
    return bool(a == b)  # numbers: 1 == 1.0


def _is_type(name: str) -> Check:
    if name == "string":
        return lambda x: isinstance(x, str)
    if name == "object":
        return lambda x: isinstance(x, dict)
    if name == "array":
        return lambda x: isinstance(x, list)
    if name == "boolean":
        return lambda x: isinstance(x, bool)
    if name == "null":
        return lambda x: x is None
    if name == "number":
        return lambda x: isinstance(x, int | float) and not isinstance(x, bool)
    if name == "integer":
        return lambda x: (isinstance(x, int) and not isinstance(x, bool)) or (
            isinstance(x, float) and x.is_integer())
    raise _Unsupported(f"type {name}")


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _date_time(value: str) -> bool:
    if "T" not in value and " " not in value:
        return False
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


def _distinct_counts(items: Sequence[Any], selectors: Sequence[str]) -> list[int]:
    groups: dict[tuple[str, ...], set[str]] = {}
    for item in items:
        if isinstance(item, dict):
            key = tuple(str(item.get(s, "")) for s in selectors)
            rest: Any = {k: v for k, v in item.items() if k not in selectors}
        else:
            key, rest = (), item
        groups.setdefault(key, set()).add(repr(rest))
    return [len(v) for v in groups.values()]


class _Compiler:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.defs: Mapping[str, Any] = root.get("$defs", {}) or {}
        self.refs: dict[str, Check] = {}

    def ref(self, ref: str) -> Check:
        if not ref.startswith("#/$defs/") or "/" in ref[8:]:
            raise _Unsupported(ref)
        name = ref[8:]
        if name not in self.refs:
            if name not in self.defs:
                raise _Unsupported(ref)
            slot: list[Check] = []
            def deferred(x: Any) -> bool:  # recursion-safe: the slot is filled below
                return slot[0](x)

            self.refs[name] = deferred
            slot.append(self.schema(self.defs[name]))
        return self.refs[name]

    def schema(self, s: Any) -> Check:
        if s is True:
            return lambda x: True
        if s is False:
            return lambda x: False
        if not isinstance(s, Mapping):
            raise _Unsupported("schema is not an object")
        unknown = set(s) - _ANNOTATIONS - _COMPILED
        if unknown:
            raise _Unsupported(", ".join(sorted(unknown)))
        checks: list[Check] = []
        add = checks.append
        if "$ref" in s:
            add(self.ref(s["$ref"]))
        if "type" in s:
            names = [s["type"]] if isinstance(s["type"], str) else list(s["type"])
            tests = [_is_type(n) for n in names]
            add(tests[0] if len(tests) == 1 else _any_of(tests))
        if "enum" in s:
            allowed = list(s["enum"])
            if all(isinstance(v, str) for v in allowed):
                strings = frozenset(allowed)
                add(lambda x: isinstance(x, str) and x in strings)
            else:
                add(lambda x: any(json_equal(x, v) for v in allowed))
        if "const" in s:
            const = s["const"]
            add(lambda x: json_equal(x, const))
        for key, op in (("minimum", "ge"), ("maximum", "le"), ("exclusiveMinimum", "gt"),
                        ("exclusiveMaximum", "lt")):
            if key in s:
                add(_bound(op, s[key]))
        if "multipleOf" in s:
            raise _Unsupported("multipleOf")  # float semantics of jsonschema: leave it to it
        if "minLength" in s:
            n = s["minLength"]
            add(lambda x: not isinstance(x, str) or len(x) >= n)
        if "maxLength" in s:
            n2 = s["maxLength"]
            add(lambda x: not isinstance(x, str) or len(x) <= n2)
        if "maxUtf8ByteLength" in s:
            n3 = s["maxUtf8ByteLength"]
            add(lambda x: not isinstance(x, str) or len(x.encode()) <= n3)
        if "minUtf8ByteLength" in s:
            n4 = s["minUtf8ByteLength"]
            add(lambda x: not isinstance(x, str) or len(x.encode()) >= n4)
        if "pattern" in s:
            search = re.compile(s["pattern"]).search
            add(lambda x: not isinstance(x, str) or search(x) is not None)
        if "format" in s:
            if s["format"] == "date-time":
                add(lambda x: not isinstance(x, str) or _date_time(x))
            # other formats are annotations, as for the jsonschema validator (no checker)
        self._arrays(s, add)
        self._objects(s, add)
        self._combinators(s, add)
        if not checks:
            return lambda x: True
        return _all(checks)

    def _arrays(self, s: Mapping[str, Any], add: Callable[[Check], None]) -> None:
        if "items" in s:
            if not isinstance(s["items"], Mapping | bool):
                raise _Unsupported("items as a list")
            item = self.schema(s["items"])
            def every_item(x: Any) -> bool:
                if isinstance(x, list):
                    for i in x:
                        if not item(i):
                            return False
                return True

            add(every_item)
        if "contains" in s:
            contained = self.schema(s["contains"])
            add(lambda x: not isinstance(x, list) or any(contained(i) for i in x))
        if "minItems" in s:
            lo = s["minItems"]
            add(lambda x: not isinstance(x, list) or len(x) >= lo)
        if "maxItems" in s:
            hi = s["maxItems"]
            add(lambda x: not isinstance(x, list) or len(x) <= hi)
        if s.get("uniqueItems") is True:
            add(lambda x: not isinstance(x, list) or all(
                not json_equal(a, b) for i, a in enumerate(x) for b in x[i + 1:]))
        selectors = list(s.get("selectors", ()))
        if "maxUniqueItems" in s:
            top = s["maxUniqueItems"]
            # No group can hold more distinct values than the list has items: most lists are short.
            add(lambda x: not isinstance(x, list) or len(x) <= top or all(
                c <= top for c in _distinct_counts(x, selectors)))
        if "minUniqueItems" in s:
            bottom = s["minUniqueItems"]
            # Every group present holds at least one value: a minimum of 1 always holds.
            add(lambda x: not isinstance(x, list) or not x or bottom <= 1 or all(
                c >= bottom for c in _distinct_counts(x, selectors)))

    def _objects(self, s: Mapping[str, Any], add: Callable[[Check], None]) -> None:
        props: dict[str, Check] = {k: self.schema(v) for k, v in s.get("properties", {}).items()}
        if props:
            pairs = tuple(props.items())

            def properties(x: Any) -> bool:
                if isinstance(x, dict):
                    for k, f in pairs:
                        if k in x and not f(x[k]):
                            return False
                return True

            add(properties)
        if "required" in s:
            required_set = frozenset(s["required"])
            add(lambda x: not isinstance(x, dict) or x.keys() >= required_set)
        if "additionalProperties" in s:
            known = frozenset(s.get("properties", {}))
            extra = self.schema(s["additionalProperties"])
            add(lambda x: not isinstance(x, dict) or all(
                extra(v) for k, v in x.items() if k not in known))
        if "minProperties" in s:
            lo = s["minProperties"]
            add(lambda x: not isinstance(x, dict) or len(x) >= lo)
        if "maxProperties" in s:
            hi = s["maxProperties"]
            add(lambda x: not isinstance(x, dict) or len(x) <= hi)
        if "dependentRequired" in s:
            deps = {k: tuple(v) for k, v in s["dependentRequired"].items()}
            add(lambda x: not isinstance(x, dict) or all(
                all(d in x for d in needs) for k, needs in deps.items() if k in x))

    def _combinators(self, s: Mapping[str, Any], add: Callable[[Check], None]) -> None:
        if "allOf" in s:
            every = [self.schema(sub) for sub in s["allOf"]]
            add(_all(every))
        if "anyOf" in s:
            some = [self.schema(sub) for sub in s["anyOf"]]
            add(lambda x: any(f(x) for f in some))
        if "oneOf" in s:
            one = [self.schema(sub) for sub in s["oneOf"]]
            add(lambda x: sum(1 for f in one if f(x)) == 1)
        if "not" in s:
            negated = self.schema(s["not"])
            add(lambda x: not negated(x))
        if "if" in s:
            cond = self.schema(s["if"])
            then = self.schema(s["then"]) if "then" in s else None
            other = self.schema(s["else"]) if "else" in s else None

            def conditional(x: Any) -> bool:
                if cond(x):
                    return then is None or then(x)
                return other is None or other(x)

            add(conditional)


def _all(checks: Sequence[Check]) -> Check:
    """Every check, without a generator per call (this is the hot path of 10,000 listings)."""
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda x: first(x) and second(x)
    frozen = tuple(checks)

    def run(x: Any) -> bool:
        for c in frozen:
            if not c(x):
                return False
        return True

    return run


def _any_of(tests: Sequence[Check]) -> Check:
    return lambda x: any(f(x) for f in tests)


def _bound(op: str, limit: Any) -> Check:
    if op == "ge":
        return lambda x: not _number(x) or x >= limit
    if op == "le":
        return lambda x: not _number(x) or x <= limit
    if op == "gt":
        return lambda x: not _number(x) or x > limit
    return lambda x: not _number(x) or x < limit


def compile_check(schema: Mapping[str, Any]) -> Check | None:
    """A function telling whether an instance is valid under ``schema``, or None when the schema
    uses a keyword this module does not compile (validate with ``jsonschema`` then)."""
    try:
        return _Compiler(schema).schema(schema)
    except _Unsupported:
        return None
