"""Bench (#15, part 1): a settlement report V2 of N rows read, mapped and planned, streaming.

1. Generate (not measured in the rate): a German-locale report (``1.234,56``, ``01.09.2026
   07:08:16 UTC``) written to a temporary file, as a downloaded report is: orders with principal,
   shipping, promotions, commission and FBA fees, refunds of some of them (per adjustment, with
   the commission given back less the refund fee), storage, subscription, ads, reimbursements,
   reserve; one settlement (the worst case: every order of the file in one plan).
2. Parse + map: the file read line by line (``SettlementReportReader``) and every event classified
   (``SettlementMapping``), nothing kept: rows/s, and the peak RSS growth, which must stay flat
   (independent of the rows: the reader holds one line at a time).
3. Parse + map + plan: the same file into ``plan_settlement`` (balanced chunks of 150 lines, the
   total checked to the cent): rows/s, peak RSS growth (the plan holds one aggregate per order,
   so memory grows with the orders, not the rows), lines and chunks planned.

``--tracemalloc`` also measures Python allocations of step 2 and 3 at a tenth of the rows (it
slows the run down, so it is a separate pass).

    .venv/bin/python bench/settlements.py [--rows 1000000] [--tracemalloc]

Target: steps 2 and 3 at 1,000,000 rows within 10 s each.
"""

from __future__ import annotations

import sys
from pathlib import Path

_BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(_BENCH.parent / "src"))

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

from amazon_odoo_sync.mapping.settlement_accounts import SettlementMapping  # noqa: E402
from amazon_odoo_sync.mapping.settlement_posting import SettlementPlan, plan_report  # noqa: E402
from amazon_odoo_sync.mapping.settlement_report import SettlementReportReader  # noqa: E402

COLUMNS = ("settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount",
           "currency", "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id",
           "marketplace-name", "amount-type", "amount-description", "amount", "fulfillment-id", "posted-date",
           "posted-date-time", "order-item-code", "merchant-order-item-id", "merchant-adjustment-item-id", "sku",
           "quantity-purchased", "promotion-id")
SETTLEMENT = "24681357900"
START = datetime(2026, 9, 1, 7, 8, 16, tzinfo=UTC)


def de_amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole:,}".replace(",", ".") + f",{part:02d}"


def de_moment(moment: datetime) -> str:
    return moment.strftime("%d.%m.%Y %H:%M:%S UTC")


def rows(count: int, settlement: str, seed: int = 15) -> Iterator[tuple[list[str], int]]:
    """(row fields, amount in cents) of a settlement's transaction rows, ``count`` of them."""
    rng = random.Random(f"{seed}/{settlement}")
    made = 0
    order = 0
    while made < count:
        order += 1
        order_id = f"302-{order:07d}-{rng.randrange(10**7):07d}"
        posted = de_moment(START + timedelta(seconds=rng.randrange(14 * 86400)))
        day = posted[:10]
        sku = f"SKU-{rng.randrange(5000):05d}"
        quantity = rng.randint(1, 3)
        principal = rng.randint(500, 25_000) * quantity
        shipping = rng.choice((0, 0, 299, 499))
        promotion = -rng.choice((0, 0, 0, 100, 250))
        commission = -round((principal + shipping + promotion) * 0.15)
        fba = -rng.choice((270, 315, 410)) * quantity
        base = [settlement, "", "", "", "", "", "Order", order_id, "", "", f"S{order:09d}", "Amazon.de", "", "",
                "", "AFN", day, posted, f"{order:014d}", "", "", sku, str(quantity), ""]
        for amount_type, description, cents in (
                ("ItemPrice", "Principal", principal), ("ItemPrice", "Shipping", shipping),
                ("Promotion", "Principal", promotion), ("ItemFees", "Commission", commission),
                ("ItemFees", "FBAPerUnitFulfillmentFee", fba)):
            if cents or description == "Principal":
                row = list(base)
                row[12], row[13], row[14] = amount_type, description, de_amount(cents)
                yield row, cents
                made += 1
        if rng.random() < 0.08:  # a refund of one unit, days later
            refund = -principal // quantity
            given_back = -round(refund * 0.15)
            fee = -min(500, round(given_back * 0.2))
            base = [settlement, "", "", "", "", "", "Refund", order_id, "", f"ADJ{order:08d}", "", "Amazon.de", "",
                    "", "", "AFN", day, posted, f"{order:014d}", "", f"MA{order:08d}", sku, "1", ""]
            for amount_type, description, cents in (("ItemPrice", "Principal", refund),
                                                    ("ItemFees", "Commission", given_back),
                                                    ("ItemFees", "RefundCommission", fee)):
                row = list(base)
                row[12], row[13], row[14] = amount_type, description, de_amount(cents)
                yield row, cents
                made += 1
        if order % 500 == 0:  # account-level money now and then
            description, amount_type, cents = rng.choice((
                ("Storage Fee", "other-transaction", -rng.randint(100, 90_000)),
                ("Subscription Fee", "other-transaction", -3900),
                ("TransactionTotalAmount", "Cost of Advertising", -rng.randint(1000, 50_000)),
                ("WAREHOUSE_DAMAGE", "FBA Inventory Reimbursement", rng.randint(500, 9000)),
                ("Current Reserve Amount", "other-transaction", -rng.randint(1000, 100_000)),
                ("Previous Reserve Amount Balance", "other-transaction", rng.randint(1000, 100_000))))
            tt = "ServiceFee" if amount_type == "Cost of Advertising" else "other-transaction"
            row = [settlement, "", "", "", "", "", tt, "", "", "", "", "", amount_type, description,
                   de_amount(cents), "", day, posted, "", "", "", "", "", ""]
            yield row, cents
            made += 1


def generate(path: Path, count: int, settlement: str = SETTLEMENT) -> tuple[int, int]:
    """Writes the report; returns (rows, total in cents)."""
    total = 0
    written = 0
    body = path.with_suffix(".body")
    with body.open("w", encoding="utf-8") as out:
        for row, cents in rows(count, settlement):
            out.write("\t".join(row) + "\n")
            total += cents
            written += 1
            if written == count:
                break
    summary = [settlement, de_moment(START), de_moment(START + timedelta(days=14)),
               de_moment(START + timedelta(days=16)), de_amount(total), "EUR"] + [""] * (len(COLUMNS) - 6)
    with path.open("w", encoding="utf-8") as out, body.open(encoding="utf-8") as rows_in:
        out.write("\t".join(COLUMNS) + "\n" + "\t".join(summary) + "\n")
        shutil.copyfileobj(rows_in, out, 1 << 20)
    body.unlink()
    return written, total


def rss_mb() -> float:
    """Peak resident set size of this process so far (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def parse_and_map(paths: list[Path]) -> int:
    mapping = SettlementMapping()
    classify = mapping.classify
    count = 0
    for path in paths:
        with path.open(encoding="utf-8", newline="") as stream:
            for event in SettlementReportReader(stream):
                classify(event.transaction_type, event.amount_type, event.amount_description)
                count += 1
    return count


def parse_map_plan(paths: list[Path]) -> list[tuple[int, int, int, int, int]]:
    """Each settlement planned in turn (as one job each would); (orders, refunds, lines, chunks,
    unmapped) of each kept, the plans let go."""
    summaries = []
    for path in paths:
        with path.open(encoding="utf-8", newline="") as stream:
            result = plan_report(stream, report_key=path.stem, mapping=SettlementMapping(), partners={})
        if not isinstance(result, SettlementPlan):
            raise SystemExit(f"held: {result.reason}")
        summaries.append((result.orders, result.refunds, sum(len(chunk.lines) for chunk in result.chunks),
                          len(result.chunks), len(result.unmapped)))
    return summaries


def timed(label: str, rows_count: int, run: Callable[[], object]) -> object:
    before_peak, before_now = rss_mb(), current_rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    result = run()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    grew = max(0.0, rss_mb() - max(before_peak, before_now))
    print(f"{label}: {rows_count:,} rows in {seconds:.2f} s = {rows_count / seconds:,.0f} rows/s "
          f"(CPU {cpu:.2f} s = {rows_count / cpu:,.0f} rows/s); "
          f"peak RSS {rss_mb():.0f} MB (+{grew:.0f} MB over the {before_now:.0f} MB before)")
    return result


def traced(label: str, run: Callable[[], object]) -> None:
    tracemalloc.start()
    run()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  tracemalloc {label}: peak {peak / 2**20:.1f} MB of Python allocations")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--settlements", type=int, default=1,
                        help="the rows split into this many settlements (reports), planned one after the other")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace allocations at a tenth of the rows")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aos-settlement-bench-") as folder:
        started = time.perf_counter()
        paths, count, size = [], 0, 0
        for n in range(args.settlements):
            path = Path(folder) / f"settlement-{n}.tsv"
            made, _total = generate(path, args.rows // args.settlements, f"{SETTLEMENT[:-4]}{n:04d}")
            paths.append(path)
            count += made
            size += path.stat().st_size
        print(f"generated {count:,} rows in {len(paths)} settlement report(s) ({size / 2**20:.0f} MB, German "
              f"locale) in {time.perf_counter() - started:.1f} s")
        timed("parse + map", count, lambda: parse_and_map(paths))
        summaries = timed("parse + map + plan", count, lambda: parse_map_plan(paths))
        assert isinstance(summaries, list)
        orders, refunds, lines, chunks, unmapped = (sum(column) for column in zip(*summaries, strict=True))
        print(f"  planned: {orders:,} orders, {refunds:,} refunds, {lines:,} lines in {chunks:,} balanced entries "
              f"(each settlement's total = its report's), {unmapped} unmapped kinds")
        if args.tracemalloc:
            small = Path(folder) / "small.tsv"
            small_count, _ = generate(small, max(1, args.rows // 10))
            print(f"tracemalloc at {small_count:,} rows (one settlement):")
            traced("parse + map", lambda: parse_and_map([small]))
            traced("parse + map + plan", lambda: parse_map_plan([small]))


if __name__ == "__main__":
    main()
