"""The soak (#19): a long simulated period through real processes (simulator, emulator, web, two
workers), sampling each process's resident memory, the database size, the job and inbox tables
and the jobs waiting, every few seconds; the curve is printed as text at the end, with each
process's memory growth (last third of the run over the first third; 1.00 is flat).

    python bench/soak.py [--scenario normal-day] [--hours 24] [--speed 1200] [--every 5]
                         [--inbox-keep-hours 0.01] [--inbox-prune 10]

The retention is shortened (``--inbox-keep-hours``: hours of real time) so pruning shows within
the run; succeeded jobs are deleted after ``[jobs] keep_succeeded_hours`` (whole hours), so the
job table only levels in runs longer than that. Ends with the demo's reconciliation; exits 1 on a
difference. ``DATABASE_URL`` or the embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from rich.console import Console

from amazon_odoo_sync.config import load_settings
from amazon_odoo_sync.demo.run import DemoOptions, run_demo


def main() -> int:
    parser = argparse.ArgumentParser(description="memory and database sizes over a long simulated run")
    parser.add_argument("--scenario", default="normal-day")
    parser.add_argument("--hours", type=float, default=24.0, help="simulated hours of orders")
    parser.add_argument("--speed", type=float, default=1200.0, help="simulated seconds per real second")
    parser.add_argument("--every", type=float, default=5.0, help="real seconds between samples")
    parser.add_argument("--inbox-keep-hours", type=float, default=0.01)
    parser.add_argument("--inbox-prune", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    options = DemoOptions(scenario=args.scenario, hours=args.hours, speed=args.speed, workers=args.workers,
                          sample_every=args.every, drain_timeout=600,
                          extra_env={"AOS_SCHEDULES__INBOX_KEEP_HOURS": str(args.inbox_keep_hours),
                                     "AOS_SCHEDULES__INBOX_PRUNE": str(args.inbox_prune)})
    ok = asyncio.run(run_demo(load_settings(), options, Console()))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
