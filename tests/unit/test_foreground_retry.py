"""Commands under the jobs' retry rules: what is retried, how long it waits (on a fake clock),
what the progress bar says while it waits, and an SP-API read through injected 429s and 5xx."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import typer
from rich.console import Console
from rich.progress import Progress

from amazon_odoo_sync.amazon.governor import InMemoryRateGovernor
from amazon_odoo_sync.cli.foreground import _WaitLine, failure_paragraph, run_command
from amazon_odoo_sync.clock import FakeClock
from amazon_odoo_sync.config import JobsConfig
from amazon_odoo_sync.exceptions import (
    AuthorizationError,
    CircuitOpenError,
    InvalidInputError,
    ThrottledError,
    TransientError,
)
from amazon_odoo_sync.flows.retrying import ForegroundRetry
from amazon_odoo_sync.sandbox.spapi.faults import Faults
from amazon_odoo_sync.waits import Wait, listening

from ..integration.stock_sim import make_amazon, make_world


def retry(clock: FakeClock, **jobs: Any) -> ForegroundRetry:
    return ForegroundRetry.from_config(JobsConfig(**jobs), clock=clock, draw=lambda: 0.5)


def failing(errors: list[Exception], result: str = "done") -> Callable[[], Awaitable[str]]:
    calls = iter(errors)

    async def attempt() -> str:
        error = next(calls, None)
        if error is not None:
            raise error
        return result

    return attempt


async def test_retryable_errors_are_waited_out_as_jobs_would(fake_clock: FakeClock) -> None:
    seen: list[Wait | None] = []
    foreground = retry(fake_clock, backoff_base_seconds=2)
    with listening(seen.append):
        result = await foreground.run("sync stock", failing([
            ThrottledError("SP-API throttled", operation="listings.searchListingsItems", retry_after=12),
            TransientError("SP-API answered 503", operation="listings.searchListingsItems"),
        ]))
    assert result == "done"
    # Retry-After as given, then the jobs' backoff: 0.5 (draw) * 2 s * 2**1.
    assert fake_clock.sleeps == [12, 2.0]
    assert foreground.waited == [("listings.searchListingsItems", 12), ("listings.searchListingsItems", 2.0)]
    quota, done, backoff, _ = seen
    assert quota is not None and quota.describe() == \
        "waiting for SP-API quota (listings.searchListingsItems, 12 s)"
    assert done is None
    assert backoff is not None and backoff.describe() == "SP-API answered 503: retrying in 2 s (attempt 3)"


@pytest.mark.parametrize("error", [InvalidInputError("bad"), AuthorizationError("refused"), ValueError("bug")])
async def test_permanent_and_unknown_errors_end_at_once(fake_clock: FakeClock, error: Exception) -> None:
    with pytest.raises(type(error)):
        await retry(fake_clock).run("sync stock", failing([error]))
    assert fake_clock.sleeps == []


async def test_gives_up_where_jobs_give_up(fake_clock: FakeClock) -> None:
    errors: list[Exception] = [TransientError(f"503 #{n}") for n in range(10)]
    # A budget of 5 s: failures at 0, 1 and 3 s are retried (waits 1, 2, 4 s), the one at 7 s is not.
    with pytest.raises(TransientError, match="503 #3"):
        await retry(fake_clock, retry_budget_hours=5 / 3600).run("sync stock", failing(errors))
    assert fake_clock.sleeps == [1.0, 2.0, 4.0]


async def test_an_outage_is_waited_out_within_the_budget_then_given_up(fake_clock: FakeClock) -> None:
    """A command, unlike a job, has someone waiting: an open circuit is waited out, but only as
    long as the budget lasts."""
    outage: list[Exception] = [TransientError("cannot reach Odoo")] + [
        CircuitOpenError("Odoo circuit open", retry_after=30) for _ in range(5)]
    assert await retry(fake_clock, retry_budget_hours=1).run("sync stock", failing(outage)) == "done"
    endless: list[Exception] = [CircuitOpenError("Odoo circuit open", retry_after=30) for _ in range(1000)]
    before = fake_clock.now()
    with pytest.raises(CircuitOpenError):
        await retry(fake_clock, retry_budget_hours=1).run("sync stock", failing(endless))
    waited = (fake_clock.now() - before).total_seconds()
    assert 3600 <= waited < 3600 + 400


def test_the_wait_is_a_line_of_the_progress_bar_while_it_lasts() -> None:
    bar = Progress(console=Console(record=True, width=120))
    line = _WaitLine(bar)
    line(Wait(reason="quota", operation="listings.searchListingsItems", seconds=0.01))  # pacing: not shown
    assert bar.tasks == []
    line(Wait(reason="quota", operation="listings.searchListingsItems", seconds=12))
    [task] = bar.tasks
    assert "waiting for SP-API quota (listings.searchListingsItems, 12 s)" in task.description and task.visible
    line(None)
    assert not task.visible


def test_a_failure_is_one_paragraph_saying_what_to_do() -> None:
    text = failure_paragraph("sync fba --account acme", ThrottledError(
        "SP-API throttled fbaInventory.getInventorySummaries for account acme", system="amazon",
        request_id="req-1", remote_message="You exceeded your quota"))
    assert "\n" not in text and text.startswith("sync fba --account acme stopped: SP-API throttled")
    assert "Amazon said: You exceeded your quota." in text and "req-1" in text and "run the command again" in text
    assert "Not retried" in failure_paragraph("sync order", InvalidInputError("SP-API getOrder answered 400"))


async def test_an_spapi_read_gets_through_injected_429s_and_5xx_without_waiting(fake_clock: FakeClock) -> None:
    amazon = make_amazon(make_world([f"SKU-{n:03d}" for n in range(95)]), unlimited=True)
    amazon.app.state.sim.faults.set(Faults(throttle_rate=0.3, error_rate=0.2,
                                           operations=("listingsItems_2021-08-01:searchListingsItems",)))
    foreground = retry(fake_clock)
    amazon.client.retry = foreground
    amazon.client._governor = InMemoryRateGovernor(clock=fake_clock)  # its pacing waits are fake too
    pages = [page async for page in amazon.client.listings.search_listings_items_pages(
        marketplace_ids=["A1PA6795UKMFR9"], page_size=20)]
    assert sum(len(p["items"]) for p in pages) == 95
    injected = amazon.app.state.sim.faults.injected
    assert injected.get("throttle", 0) >= 1 and injected.get("internal", 0) + injected.get("unavailable", 0) >= 1
    assert len(foreground.waited) == sum(injected.values())


def test_ctrl_c_during_a_wait_is_one_line_and_exit_130(capsys: pytest.CaptureFixture[str]) -> None:
    async def waiting() -> None:
        raise KeyboardInterrupt

    with pytest.raises(typer.Exit) as exit_:
        run_command("sync fba --account acme", waiting())
    assert exit_.value.exit_code == 130
    err = capsys.readouterr().err
    assert "sync fba --account acme interrupted" in err and "Traceback" not in err
