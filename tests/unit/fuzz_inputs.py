"""Hypothesis strategies for malformed Amazon inputs: any JSON, and valid documents damaged in
one to three places (a value replaced by anything, a key removed, an object put in a list)."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

__all__ = ["damage", "damaged", "json_values"]

#: Strings that break parsers: numbers out of range, dates that are not, empty, NUL.
_NASTY = st.sampled_from(["", " ", "NaN", "Infinity", "-1", "1e999999", "-0", "0x10", "9" * 400,
                          "2026-13-45T00:00:00Z", "2026-07-08T10:00:00", "not a date", "\x00", "\ud800",
                          "ORDER_CHANGE", "ATVPDKIKX0DER", "A1PA6795UKMFR9", "EUR", "[]", "{}", "null"])

_LEAVES = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8) | _NASTY)

json_values: st.SearchStrategy[Any] = st.recursive(
    _LEAVES,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6) | _NASTY, children,
                                                                       max_size=3),
    max_leaves=8,
)


def _slots(value: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key or index) of a JSON value."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield value, key
            yield from _slots(child)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield value, index
            yield from _slots(child)


@st.composite
def damaged(draw: st.DrawFn, bases: list[Any]) -> Any:
    """One of ``bases`` (valid documents), damaged in one to three places."""
    doc = copy.deepcopy(draw(st.sampled_from(bases)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        slots = list(_slots(doc))
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(["replace", "replace", "delete", "wrap"]))
        if action == "delete" and isinstance(container, dict):
            del container[key]
        elif action == "wrap":
            container[key] = [container[key]]
        else:
            container[key] = draw(json_values)
    return doc


_ODD_VALUES: list[Any] = [None, True, 0, -1, 2**70, 1e308, float("nan"), float("inf"), "", "\x00", "\ud800",
                          "1e999999", "not a date", "2026-13-45T00:00:00Z", [], {}, [1, "a"], {"a": None},
                          "A1PA6795UKMFR9", "ORDER_CHANGE", "x" * 300]


def damage(doc: Any, rng: random.Random) -> Any:
    """``doc`` damaged in one to three places, the seeded twin of :func:`damaged` for tests that
    cannot run under ``@given`` (one database and one simulator for a whole batch)."""
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        slots = list(_slots(doc))
        if not slots:
            break
        container, key = rng.choice(slots)
        action = rng.choice(["replace", "replace", "delete", "wrap"])
        if action == "delete" and isinstance(container, dict):
            del container[key]
        elif action == "wrap":
            container[key] = [container[key]]
        else:
            container[key] = copy.deepcopy(rng.choice(_ODD_VALUES))
    return doc
