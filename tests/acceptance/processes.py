"""Stopping the CLI processes an acceptance test started."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterable


def stop_all(started: Iterable[subprocess.Popen[bytes]], timeout: float = 15.0) -> None:
    """SIGTERM to every process still running (as an operator stops them), then SIGKILL what has not
    exited after ``timeout`` seconds, so no test leaves a worker or a server behind."""
    started = list(started)
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in started:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
