"""The shape of the code, checked: layers point down, PostgreSQL is reached only through ``store``.

Read from the source with ``ast`` (every import, also those inside functions), so a shortcut
cannot hide from it. A layer may import its own package and the layers below it:

    cli, web, demo  →  tasks  →  flows  →  mapping (pure), amazon, odoo, jobs  →  store  →  base

``base`` is what everything may use (config, exceptions, clock, logs, metrics, ...). ``mapping``
is pure: values in, values out, so it imports only ``base``. ``amazon``, ``odoo`` and ``jobs``
never import each other (each talks to one outside system). ``sandbox`` (the simulator and the
emulator) stands apart: only the commands that run it (``cli``, ``demo``) import it.

The driver (psycopg, SQLAlchemy) is imported only in ``store``; elsewhere only the pool's class
may be named (processes open and close their pool), never its errors. SQL statements are
written only in ``store``.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "amazon_odoo_sync"
ROOT = "amazon_odoo_sync"

RANK = {"base": 0, "store": 1, "mapping": 2, "amazon": 2, "odoo": 2, "jobs": 2, "flows": 3, "tasks": 4,
        "cli": 5, "web": 5, "demo": 5}
#: Same rank, still not allowed to import each other (one outside system each; mapping is pure).
SIBLINGS_APART = {"mapping", "amazon", "odoo", "jobs"}
DRIVERS = ("psycopg", "sqlalchemy", "alembic")
#: Outside store, what may be named of the pool package: the class a process opens.
POOL_NAMES = {"psycopg_pool", "psycopg_pool.AsyncConnectionPool"}
#: The layers that run the simulator and the emulator (the sandbox commands, the demo).
RUN_SANDBOX = {"cli", "demo"}
SQL = re.compile(r"\b(SELECT\s+[\w*(]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b", re.IGNORECASE)


def layer(module: str) -> str:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if top in RANK or top == "sandbox":
        return top
    if top == "__main__":
        return "cli"
    return "base"


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(relative.parts)
        yield name.removesuffix(".__init__"), path


@functools.cache
def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def imports(module: str, path: Path) -> Iterator[str]:
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target
            # ``from . import x`` names modules, not attributes: count them as imports of x too.
            yield from (f"{target}.{alias.name}" for alias in node.names)


def production() -> Iterator[tuple[str, Path]]:
    for module, path in modules():
        if layer(module) != "sandbox" and ".migrations." not in module:
            yield module, path


def upward_imports() -> list[str]:
    found = []
    for module, path in production():
        mine = layer(module)
        for target in imports(module, path):
            if not target.startswith(ROOT + ".") or not _exists(target):
                continue
            theirs = layer(target)
            if theirs == "sandbox" and mine not in RUN_SANDBOX:
                found.append(f"{module} imports the sandbox ({target})")
            elif theirs != "sandbox" and theirs != mine and (RANK[theirs] > RANK[mine]
                                     or (RANK[theirs] == RANK[mine] and mine in SIBLINGS_APART)):
                found.append(f"{module} ({mine}) imports {target} ({theirs})")
            elif mine == "mapping" and theirs not in ("mapping", "sandbox") and RANK[theirs] > 0:
                found.append(f"{module} (pure) imports {target}")
    return sorted(set(found))


def _exists(target: str) -> bool:
    relative = Path(*target.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative / "__init__.py").exists()


def driver_outside_store() -> list[str]:
    found = []
    for module, path in production():
        if layer(module) == "store":
            continue
        for target in imports(module, path):
            if target.split(".")[0] in DRIVERS or (target.startswith("psycopg_pool") and target not in POOL_NAMES):
                found.append(f"{module} imports {target}")
    return sorted(set(found))


def sql_outside_store() -> list[str]:
    found = []
    for module, path in production():
        if layer(module) == "store":
            continue
        for node in ast.walk(tree(path)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
                if not _is_docstring_like(node.value):
                    found.append(f"{module}:{node.lineno}")
    return sorted(set(found))


def _is_docstring_like(text: str) -> bool:
    # Prose that mentions SQL words ("select the orders...") is not a statement: statements here
    # are upper case.
    return not re.search(r"\b(SELECT|INSERT INTO|DELETE FROM|UPDATE \w+ SET)\b", text)


def package_cycles() -> list[str]:
    edges: dict[str, set[str]] = {}
    for module, path in production():
        mine = module.split(".")[1] if "." in module else module
        for target in imports(module, path):
            if target.startswith(ROOT + ".") and _exists(target):
                theirs = target.split(".")[1]
                if theirs != mine:
                    edges.setdefault(mine, set()).add(theirs)
    cycles = []
    for a, targets in edges.items():
        for b in targets:
            if a < b and a in edges.get(b, set()):
                cycles.append(f"{a} <-> {b}")
    return sorted(cycles)


@pytest.mark.parametrize(("rule", "check"), [("upward", upward_imports), ("drivers", driver_outside_store),
                                              ("sql", sql_outside_store), ("cycles", package_cycles)])
def test_the_layers_hold(rule: str, check: object) -> None:
    assert callable(check)
    found = sorted(check())
    assert not found, f"{rule}: " + "; ".join(found)


def test_the_checks_see_a_violation(tmp_path: Path) -> None:
    # The rules must be able to fail: a made-up flow module importing the CLI and psycopg, with SQL.
    source = "import psycopg\nfrom ..cli import main\nQ = 'SELECT 1 FROM t'\n"
    path = tmp_path / "x.py"
    path.write_text(source)
    assert set(imports("amazon_odoo_sync.flows.x", path)) >= {"psycopg", "amazon_odoo_sync.cli",
                                                              "amazon_odoo_sync.cli.main"}
    assert layer("amazon_odoo_sync.cli.main") == "cli" and RANK["cli"] > RANK["flows"]
    assert SQL.search("SELECT 1 FROM t") and not _is_docstring_like("SELECT 1 FROM t")
