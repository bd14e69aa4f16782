"""The chaos run (#19): Prime Day through real worker processes, the simulator and the emulator,
while workers are killed, Odoo and PostgreSQL go away and SP-API and notifications misbehave,
at moments drawn from a seed; then the ground-truth checks and the recovery time after each fault.

    python bench/chaos.py [--seed 1] [--hours 1] [--speed 120] [--workers 2]

The same as ``amazon-odoo-sync demo --chaos --exit``; exits non-zero on any difference.
``DATABASE_URL`` (a server the run may create the ``aos_demo`` database on) or the embedded one.
"""

from __future__ import annotations

import argparse
import sys

from amazon_odoo_sync.cli.main import run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hours", type=float, default=1.0, help="simulated hours of orders under faults")
    parser.add_argument("--speed", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scenario", default="prime-day")
    args = parser.parse_args()
    return run(["demo", "--chaos", "--exit", "--seed", str(args.seed), "--hours", str(args.hours),
                "--speed", str(args.speed), "--workers", str(args.workers), "--scenario", args.scenario])


if __name__ == "__main__":
    sys.exit(main())
