"""The settlements flow (issue #15): a settlement read (report V2 or Finances event group) →
planned (:mod:`amazon_odoo_sync.mapping.settlement_posting`, pure) → written
(:mod:`.write`: balanced entries on the clearing account, the payout, its reconciliation)."""

from __future__ import annotations

from .write import BookTargets, SettlementWrite, resolve_books, write_settlement

__all__ = ["BookTargets", "SettlementWrite", "resolve_books", "write_settlement"]
