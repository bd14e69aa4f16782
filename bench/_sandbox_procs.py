"""The SP-API simulator and the Odoo emulator as subprocesses on free loopback ports (benchmarks).

Running them out of the benchmark's process keeps ``time.process_time()`` of the benchmark a
measure of the connector alone. :func:`start_spapi` serves a scenario through this file's own
``spapi`` command, because a benchmark needs two knobs the ``sandbox spapi`` CLI does not
have: the usage-plan scale (``--rate-limit-scale``: with a clock ``speed`` times faster than
real time, Amazon's quota per *simulated* second is kept by scaling its rates by ``speed``) and
an end to the orders (``--hours``: orders are placed in the first H simulated hours only).
:func:`start_odoo` runs ``amazon-odoo-sync sandbox odoo`` (or, when that CLI is missing, this
file's ``odoo`` command). :meth:`SandboxProcess.cpu_seconds` reads the child's CPU from /proc.

    python bench/_sandbox_procs.py spapi --scenario prime-day --port 8765 --speed 0 \
        --rate-limit-scale 100 --hours 10.5
    python bench/_sandbox_procs.py odoo --port 8069 --latency-scale 1
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

__all__ = ["SandboxProcess", "expected_orders", "free_port", "hours_for_orders", "start_odoo", "start_spapi"]

_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SandboxProcess:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    _closed: bool = field(default=False, repr=False)

    def cpu_seconds(self) -> float:
        """User + system CPU of the child so far (Linux /proc; 0 when unreadable)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Terminate this child (only it: it runs in its own session), then reap it."""
        if self._closed:
            return
        self._closed = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _spawn(name: str, args: list[str], port: int, ready_path: str, *, ready_method: str = "GET",
           timeout: float = 120.0) -> SandboxProcess:
    log = Path(tempfile.mkstemp(prefix=f"aos-bench-{name}-", suffix=".log")[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(_ROOT / "src"),
                                                                    os.environ.get("PYTHONPATH")])))
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=_ROOT,
                                   start_new_session=True)
    proc = SandboxProcess(name=name, url=f"http://127.0.0.1:{port}", process=process, log=log)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{proc.log_tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.request(ready_method, proc.url + ready_path, timeout=2.0).status_code < 500:
                return proc
        if time.monotonic() > deadline:
            proc.stop()
            raise RuntimeError(f"{name} did not answer within {timeout:.0f} s:\n{proc.log_tail()}")
        time.sleep(0.2)


def start_spapi(scenario: str = "prime-day", *, speed: float = 0.0, rate_limit_scale: float | None = None,
                hours: float | None = None, seed: int | None = None, faults: bool = True) -> SandboxProcess:
    """The simulator, manual clock by default (``speed`` 0: set it with ``POST /_sim/speed``)."""
    port = free_port()
    args = [sys.executable, str(Path(__file__).resolve()), "spapi", "--scenario", scenario, "--port", str(port),
            "--speed", str(speed)]
    if rate_limit_scale is not None:
        args += ["--rate-limit-scale", str(rate_limit_scale)]
    if hours is not None:
        args += ["--hours", str(hours)]
    if seed is not None:
        args += ["--seed", str(seed)]
    if not faults:
        args.append("--no-faults")
    return _spawn("spapi", args, port, "/_sim/clock")


def start_odoo(*, latency_scale: float = 1.0, workers: int = 3) -> SandboxProcess:
    """The Odoo emulator with its latency model at ``latency_scale``."""
    port = free_port()
    cli = shutil.which("amazon-odoo-sync", path=str(Path(sys.executable).parent))
    common = ["--port", str(port), "--latency-scale", str(latency_scale), "--workers", str(workers)]
    if cli and subprocess.run([cli, "sandbox", "odoo", "--help"], capture_output=True, check=False).returncode == 0:
        args = [cli, "sandbox", "odoo", *common]
    else:
        args = [sys.executable, str(Path(__file__).resolve()), "odoo", *common]
    return _spawn("odoo", args, port, "/_emulator/stats")


# -- how many orders a cut scenario places --------------------------------------------------------

def expected_orders(scenario: object, hours: float) -> float:
    """Orders the generator plans in the first ``hours`` of ``scenario`` (its expectation)."""
    from datetime import timedelta

    from amazon_odoo_sync.sandbox.spapi.scenario import Scenario

    assert isinstance(scenario, Scenario)
    spec = scenario.orders
    start = scenario.start.replace(minute=0, second=0, microsecond=0)
    total, h = 0.0, 0
    while h < hours:
        hour_start = start + timedelta(hours=h)
        from_start = (hour_start - scenario.start).total_seconds() / 3600
        share = spec.hourly_weights[hour_start.hour] / sum(spec.hourly_weights)
        rate = spec.per_day * share * spec.rate_multiplier(from_start) * len(scenario.sellers)
        total += rate * min(1.0, hours - h)
        h += 1
    return total


def hours_for_orders(scenario: object, orders: int) -> float:
    """The first H hours in which ``scenario`` is expected to place ``orders`` orders."""
    low, high = 0.0, 24.0 * 365
    for _ in range(60):
        mid = (low + high) / 2
        if expected_orders(scenario, mid) < orders:
            low = mid
        else:
            high = mid
    return round(high, 4)


# -- the servers (run as this file's commands) ------------------------------------------------------

def _serve_spapi(args: argparse.Namespace) -> None:
    import uvicorn

    from amazon_odoo_sync.sandbox.spapi import make_simulator
    from amazon_odoo_sync.sandbox.spapi.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    changes: dict[str, object] = {}
    if args.rate_limit_scale is not None:
        changes["rate_limit_scale"] = args.rate_limit_scale
    if args.hours is not None:
        changes["days"] = args.hours / 24
    scenario = replace(scenario, **changes)  # type: ignore[arg-type]
    app, world = make_simulator(scenario, args.seed, args.speed, faults=not args.no_faults, tick_seconds=1.0)
    print(f"simulator {scenario.name}: speed {world.clock.speed:g}, rate-limit scale {scenario.rate_limit_scale:g}, "
          f"orders for {scenario.days * 24:g} h from {scenario.start:%Y-%m-%d %H:%M}Z", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


def _serve_odoo(args: argparse.Namespace) -> None:
    import uvicorn

    from amazon_odoo_sync.sandbox.odoo import create_app

    uvicorn.run(create_app(latency_scale=args.latency_scale, workers=args.workers), host="127.0.0.1",
                port=args.port, log_level="warning")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    spapi = sub.add_parser("spapi")
    spapi.add_argument("--scenario", default="prime-day")
    spapi.add_argument("--port", type=int, required=True)
    spapi.add_argument("--speed", type=float, default=0.0)
    spapi.add_argument("--rate-limit-scale", type=float)
    spapi.add_argument("--hours", type=float)
    spapi.add_argument("--seed", type=int)
    spapi.add_argument("--no-faults", action="store_true")
    odoo = sub.add_parser("odoo")
    odoo.add_argument("--port", type=int, required=True)
    odoo.add_argument("--latency-scale", type=float, default=1.0)
    odoo.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    if args.command == "spapi":
        _serve_spapi(args)
    else:
        _serve_odoo(args)


if __name__ == "__main__":
    main()
