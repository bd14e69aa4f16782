"""Moved to :mod:`amazon_odoo_sync.marketplaces` (below ``config``, which imported ``amazon`` for it
while ``amazon`` imported ``config``). This alias only keeps branches written before the move
importing; new code imports ``amazon_odoo_sync.marketplaces``. Remove once issue #13 is closed."""

from ..marketplaces import MARKETPLACES, PAN_EU, REGIONS, Marketplace, Region, by_code, by_id

__all__ = ["MARKETPLACES", "PAN_EU", "REGIONS", "Marketplace", "Region", "by_code", "by_id"]
