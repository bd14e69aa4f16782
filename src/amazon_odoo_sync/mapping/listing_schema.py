"""Local validation of a listing's attributes against its Product Type Definition, pure.

Amazon describes each product type with a JSON Schema (``getDefinitionsProductType``, one per
marketplace and requirements set) whose meta-schema extends JSON Schema 2019-09 with a vocabulary
of its own. :func:`compile_schema` builds a 2019-09 validator that also understands it:

* ``selectors`` + ``maxUniqueItems``: an attribute (an array) holds at most that many distinct
  values per combination of its selector fields (one brand per marketplace and language; five
  bullet points). Validated (``selectors`` only means something with it).
* ``minUniqueItems``: the same, as a lower bound per combination present. Validated.
* ``maxUtf8ByteLength`` / ``minUtf8ByteLength``: a string's length in UTF-8 bytes, which Amazon
  counts instead of characters for some fields. Validated.
* ``editable``, ``hidden``: informational (whether a value can change once the item exists,
  whether a form shows it). Ignored on purpose: they say nothing about a submission's validity.
* ``enumNames``: informational labels of ``enum`` values; used to word enum problems.

``date-time`` formats are checked (ISO 8601 with a time and an offset, as Amazon's sale dates).

A problem is reported per field in words, named by the attribute's ``title`` from the schema
("Brand Name (brand) is required", "Item Weight: 0 is below the minimum 0.01"), never as a
schema dump. ``partial=True`` checks only the attributes given, without required or conditional
requirements (Amazon's ``requirementsEnforced=NOT_ENFORCED``, for a patch).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import jsonschema
from jsonschema import Draft201909Validator
from jsonschema.exceptions import SchemaError, ValidationError, best_match

from ..exceptions import DataError
from .schema_check import Check, compile_check

__all__ = [
    "AMAZON_KEYWORDS",
    "FieldProblem",
    "ListingSchema",
    "compile_schema",
]

#: Amazon's vocabulary and what this module does with each keyword.
AMAZON_KEYWORDS: Mapping[str, str] = {
    "selectors": "validated with maxUniqueItems / minUniqueItems",
    "maxUniqueItems": "validated",
    "minUniqueItems": "validated",
    "maxUtf8ByteLength": "validated",
    "minUtf8ByteLength": "validated",
    "editable": "informational, ignored",
    "hidden": "informational, ignored",
    "enumNames": "informational, used in messages",
}

_SELECTOR_WORDS = {"marketplace_id": "marketplace", "language_tag": "language"}
_FIELD_WORDS = {"marketplace_id": "Marketplace", "language_tag": "Language"}
_TYPE_WORDS = {"string": "text", "number": "a number", "integer": "a whole number",
               "boolean": "true or false", "array": "a list", "object": "an object",
               "null": "empty"}
_MAX_ENUM_SHOWN = 8


@dataclass(frozen=True, kw_only=True)
class FieldProblem:
    """One thing wrong with a listing, in words."""

    #: The attribute at fault (``""`` when the problem is the listing as a whole).
    attribute: str
    #: Its title in the schema (the attribute name when the schema has none).
    title: str
    message: str
    #: The JSON Schema keyword that failed (``required``, ``minimum``, ``enum``...).
    keyword: str
    #: Where in the attributes: ``("item_weight", 0, "value")``.
    path: tuple[str | int, ...] = ()

    def __str__(self) -> str:
        return self.message


# -- Amazon's vocabulary ----------------------------------------------------------------------


def _selector_key(item: Any, selectors: Sequence[str]) -> tuple[str, ...]:
    if not isinstance(item, Mapping):
        return ()
    return tuple(str(item.get(s, "")) for s in selectors)


def _distinct_per_selector(instance: Sequence[Any], selectors: Sequence[str]) -> dict[tuple[str, ...], int]:
    groups: dict[tuple[str, ...], set[str]] = {}
    for item in instance:
        # Distinct by everything but the selectors: the same brand twice is one value.
        rest = ({k: v for k, v in item.items() if k not in selectors}
                if isinstance(item, Mapping) else item)
        groups.setdefault(_selector_key(item, selectors), set()).add(repr(rest))
    return {key: len(values) for key, values in groups.items()}


def _selector_words(selectors: Sequence[str]) -> str:
    return " and ".join(_SELECTOR_WORDS.get(s, s.replace("_", " ")) for s in selectors)


def _max_unique_items(validator: Validator, limit: Any, instance: Any,
                      schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "array"):
        return
    selectors = list(schema.get("selectors", ()))
    for count in _distinct_per_selector(instance, selectors).values():
        if count > limit:
            per = f" per {_selector_words(selectors)}" if selectors else ""
            yield ValidationError(f"at most {limit} distinct value(s){per}, {count} given")
            return


def _min_unique_items(validator: Validator, limit: Any, instance: Any,
                      schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "array") or not instance:
        return
    selectors = list(schema.get("selectors", ()))
    for count in _distinct_per_selector(instance, selectors).values():
        if count < limit:
            per = f" per {_selector_words(selectors)}" if selectors else ""
            yield ValidationError(f"at least {limit} distinct value(s){per}, {count} given")
            return


def _max_utf8(validator: Validator, limit: Any, instance: Any,
              schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and len(instance.encode()) > limit:
        yield ValidationError(f"is {len(instance.encode())} bytes long, at most {limit} allowed")


def _min_utf8(validator: Validator, limit: Any, instance: Any,
              schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and len(instance.encode()) < limit:
        yield ValidationError(f"is {len(instance.encode())} bytes long, at least {limit} needed")


class Validator(Protocol):
    """What this module uses of a jsonschema validator (jsonschema ships no type hints)."""

    def iter_errors(self, instance: Any) -> Iterator[ValidationError]: ...

    def is_valid(self, instance: Any) -> bool: ...

    def is_type(self, instance: Any, type: str) -> bool: ...


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if "T" not in value and " " not in value:
        raise ValueError("no time")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("no UTC offset")
    return True


_formats = jsonschema.FormatChecker(formats=())
_formats.checks("date-time", raises=ValueError)(_date_time)


_AmazonValidator = jsonschema.validators.extend(Draft201909Validator, validators={
    "maxUniqueItems": _max_unique_items,
    "minUniqueItems": _min_unique_items,
    "maxUtf8ByteLength": _max_utf8,
    "minUtf8ByteLength": _min_utf8,
})


# -- the compiled schema ----------------------------------------------------------------------


def _short(value: Any) -> str:
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"'{text}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    return "nothing" if value is None else type(value).__name__


def _plural(n: Any, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


@dataclass(frozen=True, kw_only=True)
class ListingSchema:
    """A product type's schema, compiled once and used for many listings."""

    product_type: str
    marketplace_id: str | None
    requirements: str
    #: attribute name → its title in the schema
    titles: Mapping[str, str]
    #: attributes always required (conditional requirements are not listed here)
    required: frozenset[str]
    _full: Validator = field(repr=False, compare=False)
    _partial: Validator = field(repr=False, compare=False)
    #: yes/no checks compiled from the same schemas (None: jsonschema alone); most listings are
    #: valid, and these answer that ~10x faster (schema_check.py)
    _fast_full: Check | None = field(default=None, repr=False, compare=False)
    _fast_partial: Check | None = field(default=None, repr=False, compare=False)

    def title(self, attribute: str) -> str:
        return self.titles.get(attribute, attribute)

    def label(self, attribute: str) -> str:
        """``Brand Name (brand)``."""
        title = self.titles.get(attribute)
        return f"{title} ({attribute})" if title and title != attribute else attribute

    def validate(self, attributes: Mapping[str, Any], *, partial: bool = False) -> tuple[FieldProblem, ...]:
        """Every problem of ``attributes`` (empty: valid). ``partial``: only the attributes given
        are checked, as for a patch."""
        fast = self._fast_partial if partial else self._fast_full
        if fast is not None and fast(attributes):
            return ()
        validator = self._partial if partial else self._full
        problems: dict[tuple[str, str], FieldProblem] = {}
        for error in validator.iter_errors(attributes):
            for problem in self._describe(error):
                problems.setdefault((problem.attribute, problem.message), problem)
        order = {name: n for n, name in enumerate(self.titles)}
        # Stable: within an attribute, the schema's order of its fields.
        return tuple(sorted(problems.values(), key=lambda p: (
            p.keyword != "required", order.get(p.attribute, len(order)))))

    def is_valid(self, attributes: Mapping[str, Any], *, partial: bool = False) -> bool:
        fast = self._fast_partial if partial else self._fast_full
        if fast is not None:
            return fast(attributes)
        validator = self._partial if partial else self._full
        return bool(validator.is_valid(attributes))

    # -- wording --------------------------------------------------------------------------

    def _describe(self, error: ValidationError) -> Iterable[FieldProblem]:
        if error.validator in ("anyOf", "oneOf") and error.context:
            error = best_match(error.context) or error
        path = tuple(error.absolute_path)
        attribute = str(path[0]) if path else ""
        keyword = str(error.validator)
        if keyword == "required":
            yield from self._required(error, path, attribute)
            return
        if keyword == "additionalProperties" and not path:
            for name in sorted(set(error.instance) - set(self.titles)):
                yield FieldProblem(attribute=name, title=name, keyword=keyword, path=(name,),
                                   message=f"{name} is not an attribute of product type "
                                           f"{self.product_type}")
            return
        if keyword == "not" and not path:
            names = [str(n) for n in error.validator_value.get("required", ())] \
                if isinstance(error.validator_value, Mapping) else []
            for name in names or [""]:
                yield FieldProblem(attribute=name, title=self.title(name), keyword=keyword,
                                   path=(name,) if name else (),
                                   message=f"{self.label(name) if name else 'This listing'} is not "
                                           "allowed here (e.g. on a variation parent)")
            return
        where = self._where(attribute, path, error.schema)
        yield FieldProblem(attribute=attribute, title=self.title(attribute), keyword=keyword,
                           path=path, message=f"{where}: {self._what(error)}")

    def _required(self, error: ValidationError, path: tuple[str | int, ...],
                  attribute: str) -> Iterable[FieldProblem]:
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        missing = [str(n) for n in error.validator_value if n not in instance]
        for name in missing:
            if not path:
                yield FieldProblem(attribute=name, title=self.title(name), keyword="required",
                                   path=(name,), message=f"{self.label(name)} is required")
                continue
            sub = error.schema.get("properties", {}).get(name, {}) \
                if isinstance(error.schema, Mapping) else {}
            sub_title = sub.get("title") if isinstance(sub, Mapping) else None
            sub_label = f"{sub_title} ({name})" if sub_title and sub_title != name else name
            yield FieldProblem(attribute=attribute, title=self.title(attribute), keyword="required",
                               path=(*path, name),
                               message=f"{self.title(attribute)}: {sub_label} is required")

    def _where(self, attribute: str, path: tuple[str | int, ...], schema: Any) -> str:
        title = self.title(attribute) if attribute else "This listing"
        leaf = [p for p in path[1:] if isinstance(p, str)]
        sub_title = schema.get("title") if isinstance(schema, Mapping) else None
        if leaf and leaf[-1] != "value":
            sub = sub_title if sub_title and sub_title != title else _FIELD_WORDS.get(leaf[-1], leaf[-1])
            if sub != title:
                return f"{title}, {sub}"
        return title

    @staticmethod
    def _what(error: ValidationError) -> str:
        kw, limit, value = error.validator, error.validator_value, error.instance
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        if kw == "minimum":
            return f"{_short(value)} is below the minimum {limit}"
        if kw == "exclusiveMinimum":
            return f"{_short(value)} must be above {limit}"
        if kw == "maximum":
            return f"{_short(value)} is above the maximum {limit}"
        if kw == "exclusiveMaximum":
            return f"{_short(value)} must be below {limit}"
        if kw == "minLength":
            return f"{_short(value)} is shorter than {_plural(limit, 'character')}"
        if kw == "maxLength":
            return (f"{_short(value)} is {_plural(len(value), 'character')} long, "
                    f"at most {limit} allowed")
        if kw == "minItems":
            return f"needs at least {_plural(limit, 'value')}, {len(value)} given"
        if kw == "maxItems":
            return f"takes at most {_plural(limit, 'value')}, {len(value)} given"
        if kw in ("enum", "const"):
            allowed = list(limit) if kw == "enum" else [limit]
            names = schema.get("enumNames") if kw == "enum" else None
            shown = [f"{n} ({v})" if n != v else str(v) for v, n in zip(allowed, names, strict=True)] \
                if isinstance(names, list) and len(names) == len(allowed) else [str(v) for v in allowed]
            more = f" and {len(shown) - _MAX_ENUM_SHOWN} more" if len(shown) > _MAX_ENUM_SHOWN else ""
            return f"{_short(value)} is not one of {', '.join(shown[:_MAX_ENUM_SHOWN])}{more}"
        if kw == "type":
            types = [limit] if isinstance(limit, str) else list(limit)
            return f"{_short(value)} is not {' or '.join(_TYPE_WORDS.get(t, t) for t in types)}"
        if kw == "pattern":
            return f"{_short(value)} does not have the expected format"
        if kw == "format":
            return f"{_short(value)} is not a valid {str(limit).replace('-', ' ')}"
        if kw == "additionalProperties":
            extra = sorted(set(value) - set(schema.get("properties", {}))) if isinstance(value, dict) else []
            return f"{', '.join(extra) or 'a field'} is not a field of it"
        if kw == "uniqueItems":
            return "the same value is given twice"
        if kw in ("maxUniqueItems", "minUniqueItems", "maxUtf8ByteLength", "minUtf8ByteLength"):
            return f"{_short(value)} {error.message}" if isinstance(value, str) else error.message
        return f"{_short(value)} is not accepted here"


def compile_schema(schema: Mapping[str, Any], *, product_type: str, marketplace_id: str | None = None,
                   requirements: str = "LISTING") -> ListingSchema:
    """Compile a Product Type Definition's JSON Schema. A schema that is not a valid 2019-09
    schema raises DataError (a damaged or truncated download)."""
    if not isinstance(schema, Mapping) or not isinstance(schema.get("properties"), Mapping):
        raise DataError(f"product type {product_type}: the schema has no properties")
    try:
        _AmazonValidator.check_schema(schema)
    except SchemaError as exc:
        raise DataError(f"product type {product_type}: the schema is not valid JSON Schema "
                        f"({exc.message[:200]})") from None
    partial = {k: v for k, v in schema.items() if k not in ("required", "allOf", "anyOf", "oneOf",
                                                            "if", "then", "else", "dependentRequired")}
    titles = {name: str(sub.get("title") or name) if isinstance(sub, Mapping) else name
              for name, sub in schema["properties"].items()}
    return ListingSchema(
        product_type=product_type, marketplace_id=marketplace_id, requirements=requirements,
        titles=titles, required=frozenset(str(r) for r in schema.get("required", ())),
        _full=_AmazonValidator(dict(schema), format_checker=_formats),
        _partial=_AmazonValidator(partial, format_checker=_formats),
        _fast_full=compile_check(schema), _fast_partial=compile_check(partial),
    )
