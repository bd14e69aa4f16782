"""Every log line is one JSON object: structlog's, the standard library's (procrastinate,
asyncio, warnings) and their tracebacks, which travel inside the line."""

from __future__ import annotations

import io
import json
import logging
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from amazon_odoo_sync.logs import configure_logging, get_logger


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    buffer = io.StringIO()
    # An earlier test may have left warnings captured while the test runner swapped
    # warnings.showwarning since: start from no capture, as a process does.
    logging.captureWarnings(False)
    configure_logging("info", "json", stream=buffer)
    yield buffer
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(False)
    structlog.reset_defaults()


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    text = buffer.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]  # fails on any plain-text line


def test_library_records_and_their_tracebacks_are_json_lines(stream: io.StringIO) -> None:
    get_logger("amazon_odoo_sync.test").info("job retried", job_id=7, client_secret="s3cr3t")
    try:
        raise ValueError("a job raised")
    except ValueError:
        logging.getLogger("procrastinate.worker").error("Job tests.fail[7] failed", exc_info=True,
                                                        extra={"action": "job_error", "job_id": 7})
        get_logger("amazon_odoo_sync.jobs").exception("job failed", job_id=7)
    logging.getLogger("procrastinate.worker").info("below WARNING: libraries are quiet at info")
    logging.getLogger("uvicorn.error").warning("Uvicorn stopping", extra={"color_message": "\x1b[1mUvicorn\x1b[0m"})
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("a library warns", DeprecationWarning, stacklevel=1)

    ours, foreign, failed, uvicorn, warned = lines(stream)
    assert uvicorn["event"] == "Uvicorn stopping" and "color_message" not in uvicorn
    assert ours["event"] == "job retried" and ours["client_secret"] == "***" and ours["level"] == "info"
    assert foreign["event"] == "Job tests.fail[7] failed" and foreign["level"] == "error"
    assert foreign["logger"] == "procrastinate.worker" and foreign["action"] == "job_error"
    assert foreign["exception"].startswith("Traceback") and "ValueError: a job raised" in foreign["exception"]
    assert "ValueError: a job raised" in failed["exception"]
    assert warned["logger"] == "py.warnings" and "a library warns" in warned["event"]


def test_configuring_again_replaces_the_handler(stream: io.StringIO) -> None:
    logging.basicConfig()  # a library's or an old caller's: a no-op once ours is there
    configure_logging("info", "json", stream=stream)
    logging.getLogger("psycopg").warning("once")
    assert [line["event"] for line in lines(stream)] == ["once"]


def test_lines_go_to_the_stderr_of_the_moment(stream: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:
    before = io.StringIO()
    monkeypatch.setattr(sys, "stderr", before)
    configure_logging("warning", "console")  # as every command does, under a capture that ends
    before.close()
    after = io.StringIO()
    monkeypatch.setattr(sys, "stderr", after)
    get_logger("amazon_odoo_sync.flows").warning("FBA drift", sku="A")
    logging.getLogger("procrastinate").warning("from a library")
    assert "FBA drift" in after.getvalue() and "from a library" in after.getvalue()
