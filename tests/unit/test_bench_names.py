"""Benchmark scripts run as ``python bench/x.py`` put bench/ first on the import path: a script
named like a module (``queue.py``) replaces that module for everything the script imports
(procrastinate, psycopg: "partially initialized module 'queue' has no attribute 'Queue'")."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _installed_top_level_names() -> set[str]:
    names: set[str] = set()
    for dist in importlib.metadata.distributions():
        top_level = dist.read_text("top_level.txt")
        if top_level:
            names.update(top_level.split())
        for file in dist.files or ():
            first = file.parts[0]
            if first.endswith((".dist-info", ".data", ".egg-info")) or first in ("..", "__pycache__"):
                continue
            names.add(first.removesuffix(".py") if len(file.parts) == 1 else first)
    return names


def shadowed(stems: list[str], installed: set[str]) -> list[str]:
    return sorted(s for s in stems if s in sys.stdlib_module_names or s in installed)


def test_no_benchmark_shadows_a_module() -> None:
    stems = [path.stem for path in BENCH.glob("*.py")]
    assert stems, "no benchmark scripts found"
    assert shadowed(stems, _installed_top_level_names()) == []


def test_the_check_sees_a_stdlib_and_an_installed_name() -> None:
    installed = _installed_top_level_names()
    assert "psycopg" in installed and "procrastinate" in installed
    assert shadowed(["queue", "psycopg", "bench_queue"], installed) == ["psycopg", "queue"]
