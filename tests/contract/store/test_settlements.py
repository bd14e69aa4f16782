"""Settlements: one row per (account, key); held with its difference until posted, never demoted."""

from __future__ import annotations

import uuid
from decimal import Decimal

from amazon_odoo_sync.store.unit import Store


async def test_held_then_posted_one_row_per_account_and_key(store: Store) -> None:
    account, other = f"A-{uuid.uuid4().hex[:8]}", f"B-{uuid.uuid4().hex[:8]}"
    async with store.transaction() as tx:
        assert await tx.settlements.get(account, "S1") is None
        held = await tx.settlements.hold(account=account, key="S1", currency="EUR", total=Decimal("100.00"),
                                         difference=Decimal("0.05"), reason="0.05 EUR unexplained")
        assert (held.state, held.difference, held.reason) == ("held", Decimal("0.05"), "0.05 EUR unexplained")
        assert held.move_ids == () and held.payout_line_id is None and held.posted_at is None
        again = await tx.settlements.hold(account=account, key="S1", currency="EUR", total=Decimal("100.00"),
                                          difference=Decimal("-1.00"), reason="row 7 unreadable")
        assert again.id == held.id and (again.difference, again.reason) == (Decimal("-1.00"), "row 7 unreadable")
        # The same key of another account is another settlement.
        theirs = await tx.settlements.hold(account=other, key="S1", currency=None, total=None, difference=None,
                                           reason="no summary")
        assert theirs.id != held.id and theirs.total is None

    async with store.transaction() as tx:
        posted = await tx.settlements.mark_posted(account=account, key="S1", currency="EUR",
                                                  total=Decimal("100.00"), move_ids=(11, 12), payout_line_id=7)
        assert posted.id == held.id and posted.state == "posted" and posted.move_ids == (11, 12)
        assert posted.payout_line_id == 7 and posted.difference is None and posted.reason is None
        assert posted.posted_at is not None and posted.created_at == held.created_at
        # A posted settlement is never demoted by a later hold.
        kept = await tx.settlements.hold(account=account, key="S1", currency="EUR", total=Decimal("100.00"),
                                         difference=Decimal("1.00"), reason="late")
        assert kept.state == "posted" and kept.move_ids == (11, 12) and kept.reason is None
        # Posting again (payout found later) keeps when it was first posted.
        later = await tx.settlements.mark_posted(account=account, key="S1", currency="EUR",
                                                 total=Decimal("100.00"), move_ids=(11, 12), payout_line_id=8)
        assert later.payout_line_id == 8 and later.posted_at == posted.posted_at

    async with store.session() as tx:
        fresh = await tx.settlements.mark_posted(account=account, key="S2", currency="GBP", total=Decimal("-3.10"),
                                                 move_ids=(), payout_line_id=None)
        assert fresh.state == "posted" and fresh.total == Decimal("-3.10") and fresh.posted_at is not None
        await tx.settlements.hold(account=account, key="S3", currency="EUR", total=Decimal(1), difference=Decimal(1),
                                  reason="x")
        assert {r.key for r in await tx.settlements.list(account)} == {"S1", "S2", "S3"}
        assert [r.key for r in await tx.settlements.list(account, state="held")] == ["S3"]
        assert {r.key for r in await tx.settlements.list(account, state="posted")} == {"S1", "S2"}
        assert len(await tx.settlements.list(account, limit=1)) == 1
        assert [r.key for r in await tx.settlements.list(other)] == ["S1"]


async def test_a_rolled_back_transaction_leaves_no_settlement(store: Store) -> None:
    account = f"A-{uuid.uuid4().hex[:8]}"
    try:
        async with store.transaction() as tx:
            await tx.settlements.hold(account=account, key="S9", currency="EUR", total=Decimal(1),
                                      difference=Decimal(1), reason="x")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    async with store.session() as tx:
        assert await tx.settlements.get(account, "S9") is None
