"""Every command of the CLI, found by walking the command tree (so new commands are covered):
a usage error is a short message and exit code 2, never a traceback; every option has help."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, get_args

import pytest
import structlog

from amazon_odoo_sync.cli import common
from amazon_odoo_sync.cli.main import click_command, run, walk_commands
from amazon_odoo_sync.exceptions import ConfigurationError, TransientError

ROOT = click_command()
COMMANDS = list(walk_commands(ROOT))
GROUPS = [(path, cmd) for path, cmd in COMMANDS if hasattr(cmd, "commands")]
LEAVES = [(path, cmd) for path, cmd in COMMANDS if not hasattr(cmd, "commands")]
BAD = "not-valid-zz"


def _base_types(annotation: Any) -> set[Any]:
    args = get_args(annotation)
    return set().union(*(_base_types(a) for a in args)) if args else {annotation}


def checked_while_parsing(param: Any) -> bool:
    """A value of this parameter is checked as the command line is read: a number, a date, an
    enum, or anything with a parser of ours (dates, marketplaces, job states)."""
    described = getattr(param, "type_descriptor", None)
    if described is None or getattr(param, "is_flag", False):
        return False
    if getattr(described.parameter_info, "parser", None) is not None:
        return True
    return any(t in (int, float, Decimal, datetime) or (isinstance(t, type) and issubclass(t, Enum))
               for t in _base_types(described.annotation))


def _id(item: tuple[tuple[str, ...], Any]) -> str:
    return " ".join(item[0]) or "(root)"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No configuration file, and a database nobody listens on: a usage error that got as far
    as the database would exit 1, not 2."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("AOS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AOS_DATABASE__URL", "postgresql://nobody@127.0.0.1:9/unreachable")
    monkeypatch.setenv("COLUMNS", "200")


def invoke(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def assert_usage_error(code: int, output: str, *expected: str) -> None:
    assert code == 2, output
    assert "Traceback" not in output, output
    for text in expected:
        assert text in output, output


def test_the_tree_has_the_commands_we_know() -> None:
    names = {" ".join(path) for path, _ in LEAVES}
    assert {"sync orders", "sync order", "jobs retry", "accounts add", "odoo setup", "worker"} <= names


@pytest.mark.parametrize("item", COMMANDS, ids=_id)
def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                         item: tuple[tuple[str, ...], Any]) -> None:
    assert_usage_error(*invoke(capsys, *item[0], "--no-such-option"), "No such option")


@pytest.mark.parametrize("item", GROUPS, ids=_id)
def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                          item: tuple[tuple[str, ...], Any]) -> None:
    assert_usage_error(*invoke(capsys, *item[0], "no-such-command"), "No such command")


@pytest.mark.parametrize("item", [i for i in LEAVES if any(p.required for p in i[1].params)], ids=_id)
def test_missing_required_value_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                                 item: tuple[tuple[str, ...], Any]) -> None:
    assert_usage_error(*invoke(capsys, *item[0]), "Missing")


BAD_VALUES = [(path, param) for path, cmd in LEAVES for param in cmd.params
              if checked_while_parsing(param)]


@pytest.mark.parametrize("case", BAD_VALUES, ids=lambda c: f"{' '.join(c[0])} {c[1].name}")
def test_bad_value_is_a_usage_error(capsys: pytest.CaptureFixture[str], case: tuple[tuple[str, ...], Any]) -> None:
    path, param = case
    args = [param.opts[0], BAD] if param.param_type_name == "option" else [BAD]
    assert_usage_error(*invoke(capsys, *path, *args))


def test_every_command_has_checked_values() -> None:
    """The typed parameters above are not an empty list (the walk found them)."""
    names = {(" ".join(path), param.name) for path, param in BAD_VALUES}
    assert {("sync orders", "since"), ("sync orders", "marketplaces"), ("jobs list", "state"),
            ("jobs list", "limit"), ("jobs cancel", "job_id")} <= names


@pytest.mark.parametrize(("args", "expected"), [
    (["sync", "orders", "--account", "a", "--since", "notadate"], "not an ISO date"),
    (["sync", "orders", "--account", "a"], "Missing option '--since'"),
    (["sync", "orders", "--account", "a", "--since", "2026-01-01", "-m", "ZZ"], "unknown Amazon marketplace"),
    (["sync", "shipments", "--account", "a", "--since", "yesterday"], "not an ISO date"),
    (["jobs", "list", "--limit", "0"], "--limit"),
    (["jobs", "list", "--state", "bogus"], "unknown state 'bogus'"),
    (["jobs", "retry"], "give a job id"),
    (["worker", "--queues", "nope"], "unknown queue"),
    (["nosuch"], "No such command"),
    (["accounts", "remove", "acme"], "add --yes"),  # no terminal to confirm in (stdin is not one)
])
def test_bad_arguments_found_by_users(capsys: pytest.CaptureFixture[str], args: list[str], expected: str) -> None:
    assert_usage_error(*invoke(capsys, *args), expected)


def test_every_option_and_argument_has_help() -> None:
    missing = [f"{' '.join(path)} {param.name}" for path, cmd in COMMANDS for param in cmd.params
               if not (getattr(param, "help", None) or "").strip()]
    assert missing == []
    assert [" ".join(path) for path, cmd in LEAVES if not (cmd.help or "").strip()] == []


def test_help_brackets_are_text_not_markup(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = invoke(capsys, "worker", "--help")
    assert code == 0 and "[jobs] concurrency" in output


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = invoke(capsys, "--version")
    assert code == 0 and output.startswith("amazon-odoo-sync ") and output.strip().split()[-1][0].isdigit()


@pytest.mark.parametrize(("error", "code", "shown"), [
    (ConfigurationError("should be ≤ 200", source="a.toml", field="database.pool_size"), 2,
     "a.toml: database.pool_size: should be ≤ 200"),
    (ConfigurationError("String should match pattern '^[a-z0-9][a-z0-9_.-]{0,62}$'"), 2,
     "'^[a-z0-9][a-z0-9_.-]{0,62}$'"),
    (TransientError("cannot connect to PostgreSQL at [::1]"), 1,
     "TransientError: cannot connect to PostgreSQL at [::1]"),
    (RuntimeError("boom"), 1, "Unexpected error: RuntimeError: boom"),
])
def test_failures_are_one_paragraph_with_their_exit_code(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        error: Exception, code: int, shown: str) -> None:
    def fail(path: Path | None) -> None:
        raise error

    monkeypatch.setattr(common, "load_settings", fail)
    got, output = invoke(capsys, "status")
    assert got == code and "Traceback" not in output
    assert shown in " ".join(output.split()), output
    assert output.count("database.pool_size") <= 1


def test_the_installed_command_exits_2_without_traceback(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("amazon-odoo-sync")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AOS_")}
    result = subprocess.run([str(exe), "sync", "orders", "--account", "a", "--since", "notadate"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "notadate" in result.stderr
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("amazon-odoo-sync ")


def test_run_puts_the_logging_configuration_back(capsys: pytest.CaptureFixture[str]) -> None:
    """``run`` logs warnings to stderr while a command runs, and leaves structlog as it was
    (a configuration bound to a closed capture stream broke every later test's logging)."""
    configured, before = structlog.is_configured(), structlog.get_config()
    handlers, showwarning = list(logging.getLogger().handlers), warnings.showwarning
    invoke(capsys, "--version")
    assert structlog.is_configured() == configured and structlog.get_config() == before
    assert logging.getLogger().handlers == handlers and warnings.showwarning is showwarning
