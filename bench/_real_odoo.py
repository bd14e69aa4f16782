"""A real Odoo as a bench target: its CPU, its PostgreSQL's, the calls made, the raw ceiling.

Set ``ODOO_URL``, ``ODOO_DB``, ``ODOO_USER`` and ``ODOO_API_KEY``. CPU is read from ``/proc`` when
Odoo runs on this machine: every process whose command line names ``odoo-bin`` (the HTTP workers
and the cron worker), and the PostgreSQL backends connected to a database (``pg_stat_activity``;
a backend that exits between two readings takes its CPU with it: Odoo's and the connector's
pools keep theirs open).

The raw ceiling is what that Odoo takes from a client that does nothing but the essential Odoo
work of an import, in batches of 50: 50 delivery partners in one ``create``, 50 orders of 2-3
lines in one ``create``, one ``action_confirm``; with 1 and with 2 such clients at once.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

from amazon_odoo_sync.odoo import OdooClient

ENV = ("ODOO_URL", "ODOO_DB", "ODOO_USER", "ODOO_API_KEY")
TICK = os.sysconf("SC_CLK_TCK")


def configured() -> bool:
    return all(os.environ.get(v) for v in ENV)


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def odoo_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"odoo-bin" in cmdline:
            pids.append(int(entry.name))
    return pids


def backend_pids(server_url: str, database: str) -> list[int]:
    with psycopg.connect(server_url, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,)).fetchall()
    return [int(pid) for (pid,) in rows]


@dataclass
class CpuReading:
    odoo: float
    odoo_pg: float
    connector_pg: float


@dataclass
class RealOdoo:
    """Stands where the emulator's SandboxProcess stands in bench/orders.py."""

    url: str
    database: str
    user: str
    api_key: str
    server_url: str  # the PostgreSQL server both databases live on (this machine)
    connector_db: str = ""

    @classmethod
    def from_env(cls, server_url: str) -> RealOdoo:
        return cls(url=os.environ["ODOO_URL"], database=os.environ["ODOO_DB"], user=os.environ["ODOO_USER"],
                   api_key=os.environ["ODOO_API_KEY"], server_url=server_url)

    def client(self) -> OdooClient:
        return OdooClient(self.url, self.database, self.user, self.api_key, timeout=300)

    def cpu_seconds(self) -> float:
        return sum(_cpu(pid) for pid in odoo_pids())

    def reading(self) -> CpuReading:
        odoo_pg = sum(_cpu(p) for p in backend_pids(self.server_url, self.database))
        connector_pg = sum(_cpu(p) for p in backend_pids(self.server_url, self.connector_db)) \
            if self.connector_db else 0.0
        return CpuReading(odoo=self.cpu_seconds(), odoo_pg=odoo_pg, connector_pg=connector_pg)

    def stop(self) -> None:
        """Not ours to stop."""


def jsonrpc_operation(request: httpx.Request) -> str:
    """``model.method`` of an ``object.execute_kw`` call (Odoo 17/18 JSON-RPC), else the path."""
    try:
        params = json.loads(request.content)["params"]
        if params.get("service") == "object" and params.get("method") == "execute_kw":
            args = params["args"]
            return f"{args[3]}.{args[4]}"
        return f"{params.get('service')}.{params.get('method')}"
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return request.url.path


@dataclass
class Ceiling:
    clients: int
    orders: int
    seconds: float
    odoo_cpu: float
    odoo_pg_cpu: float

    @property
    def rate(self) -> float:
        return self.orders / self.seconds if self.seconds else 0.0

    def per_order_ms(self, cpu: float) -> float:
        return cpu / self.orders * 1000 if self.orders else float("nan")

    def line(self) -> str:
        return (f"{self.clients} client{'s' if self.clients > 1 else ' '}: {self.rate:6.1f} orders/s "
                f"({self.orders} in {self.seconds:.1f} s), Odoo CPU {self.per_order_ms(self.odoo_cpu):5.1f} ms/order, "
                f"its PostgreSQL {self.per_order_ms(self.odoo_pg_cpu):5.1f} ms/order")


async def _raw_client(odoo: OdooClient, country: int, products: list[int], batches: int, tag: str) -> int:
    done = 0
    for b in range(batches):
        partners = await odoo.create("res.partner", [
            {"name": f"AOS ceiling {tag}-{b}-{i}", "street": f"{i} Bench Street", "zip": "10115",
             "city": "Berlin", "country_id": country, "type": "contact"} for i in range(50)])
        orders = await odoo.create("sale.order", [
            {"partner_id": partner, "client_order_ref": f"AOS-CEIL-{tag}-{b}-{i}",
             "order_line": [(0, 0, {"product_id": products[(i + k) % len(products)], "product_uom_qty": 1 + k % 2,
                                    "price_unit": 9.99 + k}) for k in range(2 + i % 2)]}
            for i, partner in enumerate(partners)])
        await odoo.call_method("sale.order", "action_confirm", orders)
        done += len(orders)
    return done


async def raw_ceiling(target: RealOdoo, products: list[int], *, clients: int, batches: int) -> Ceiling:
    """``clients`` raw clients at once, ``batches`` batches of 50 each."""
    odoos = [target.client() for _ in range(clients)]
    try:
        country = (await odoos[0].search("res.country", [("code", "=", "DE")], limit=1))[0]
        for odoo in odoos:  # authenticate before the clock starts
            await odoo.search("res.country", [("code", "=", "DE")], limit=1)
        run = uuid.uuid4().hex[:6]
        before = target.reading()
        started = time.perf_counter()
        counts = await asyncio.gather(*(_raw_client(odoo, country, products, batches, f"{run}{n}")
                                        for n, odoo in enumerate(odoos)))
        seconds = time.perf_counter() - started
        after = target.reading()
    finally:
        for odoo in odoos:
            await odoo.aclose()
    return Ceiling(clients=clients, orders=sum(counts), seconds=seconds, odoo_cpu=after.odoo - before.odoo,
                   odoo_pg_cpu=after.odoo_pg - before.odoo_pg)


def stock_products(offers: list[dict[str, Any]], catalog: dict[str, int]) -> list[int]:
    return sorted({catalog[str(o["sku"])] for o in offers if str(o["sku"]) in catalog})
