"""FBA inventory: Amazon's figures → an Odoo warehouse per FBA fulfilment network, with one
location per (seller account, kind) inside it (see :mod:`..mapping.fba_inventory`).

Amazon keeps FBA inventory per fulfilment network (``Marketplace.fba_network``: the pan-European
pool, the UK, US, CA...), so an account is pulled once per network it sells in, through its first
marketplace there (:func:`fba_syncs_for`).

:meth:`FbaInventorySync.pull` (:mod:`.sync`) reads every page of ``getInventorySummaries``
(details); a ``nextToken`` that expired mid-way (Amazon: 30 s) restarts the pull from the first page (results
are keyed by SKU, so a restart loses and doubles nothing). Only a complete pull is applied:
Odoo gets inventory adjustments of the differences only, products Odoo has in the account's FBA
locations that Amazon no longer reports go to 0, and everything applied is in the audit log.
Units of FBA orders Amazon shipped but Odoo has not imported yet stay in Odoo's Fulfillable
(the import takes them off), so the import lands on Amazon's figure.

Before a complete pull is applied (:func:`.plan.plan_fba`, pure), Odoo's totals (what it expects
Amazon to hold) are compared with Amazon's: SKUs differing by more than
``stock.fba_drift_tolerance`` units are drift, logged and stored (``tx.fba_drift``,
``amazon-odoo-sync sync fba``). The first pull of an (account, network) reports none: Odoo
expected nothing yet.

:meth:`FbaInventorySync.apply_notification` applies one SKU from an
``FBA_INVENTORY_AVAILABILITY_CHANGES`` notification the same way (no drift). SKUs without an
Odoo product go to quarantine (``fba-inventory``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ...exceptions import DataError
from ...jobs.tasks import TaskSpec
from ...mapping.fba_inventory import SELLABLE_KIND
from ...marketplaces import by_id
from ...odoo.client import OdooClient
from ...store.unit import UnitOfWork
from ..intake import ReadNotification
from ..runtime import FlowRuntime
from .adapters import OdooFbaTarget
from .ports import FbaStockTarget
from .sync import FLOW, FbaInventorySync, FbaResult, PullProgress

__all__ = [
    "FLOW",
    "APPLY_NOTIFICATIONS",
    "NOTIFICATION_SOURCE",
    "NOTIFICATION_TYPE",
    "FbaInventorySync",
    "FbaResult",
    "FbaStockTarget",
    "OdooFbaTarget",
    "PullProgress",
    "apply_pending_notifications",
    "fba_syncs_for",
    "fulfillable_location",
    "networks_of",
    "notifications_stored",
    "pull_account",
    "read_notification",
]

NOTIFICATION_TYPE = "FBA_INVENTORY_AVAILABILITY_CHANGES"
NOTIFICATION_SOURCE = "notification/fba-inventory"
#: The job applying stored notifications (its function bound in ``amazon_odoo_sync.tasks``).
APPLY_NOTIFICATIONS = TaskSpec(name="fba_inventory.apply_notifications", queue="stock",
                               queueing_lock_from="fba_inventory.notify:{account}", lock_from="fba_inventory:{account}")


def networks_of(marketplace_ids: Sequence[str]) -> dict[str, list[str]]:
    """The account's marketplaces per FBA fulfilment network, in the account's order."""
    networks: dict[str, list[str]] = {}
    for marketplace_id in marketplace_ids:
        networks.setdefault(by_id(marketplace_id).fba_network, []).append(marketplace_id)
    return networks


async def fulfillable_location(odoo: OdooClient, account: str, marketplace_id: str, warehouse_id: int) -> int:
    """The account's Fulfillable location in the FBA warehouse of ``marketplace_id``'s network
    (made when missing). With several accounts in one network, an FBA delivery must take its
    units from here, not from whichever child of the warehouse's stock Odoo reserves first."""
    network = by_id(marketplace_id).fba_network
    return (await OdooFbaTarget(odoo, {network: warehouse_id}).locations(account, network))[SELLABLE_KIND]


async def fba_syncs_for(rt: FlowRuntime, account: str) -> list[FbaInventorySync]:
    """One sync per FBA fulfilment network of the account, pulled through its first marketplace
    there that has an FBA warehouse in Odoo (``odoo setup``); networks without one are skipped."""
    refs = await rt.refs()
    odoo = await rt.odoo()
    client = await rt.spapi(account, priority=rt.settings.priorities.reports)
    chosen: dict[str, tuple[str, int, list[str]]] = {}
    for network, marketplace_ids in networks_of(rt.settings.account(account).marketplaces).items():
        for marketplace_id in marketplace_ids:
            warehouse = (await refs.targets(marketplace_id)).fba_warehouse_id
            if warehouse:
                chosen[network] = (marketplace_id, warehouse, marketplace_ids)
                break
    target = OdooFbaTarget(odoo, {network: warehouse for network, (_, warehouse, _) in chosen.items()})
    tolerance = rt.settings.stock.fba_drift_tolerance
    return [FbaInventorySync(store=rt.store, account=account, network=network, marketplace_id=marketplace_id,
                             marketplace_ids=marketplace_ids, client=client, target=target, tolerance=tolerance,
                             clock=rt.clock)
            for network, (marketplace_id, _, marketplace_ids) in chosen.items()]


async def pull_account(rt: FlowRuntime, account: str, *, progress: PullProgress | None = None) -> list[FbaResult]:
    """Full pull and apply of every FBA network of ``account``."""
    return [await sync.pull(progress=progress) for sync in await fba_syncs_for(rt, account)]


def read_notification(notification: Mapping[str, Any],
                      account_for_seller: Callable[[str], str | None]) -> ReadNotification:
    """Check one FBA_INVENTORY_AVAILABILITY_CHANGES notification and say whose it is (no I/O).
    Raises DataError for one we cannot read (the intake quarantines it)."""
    if notification.get("NotificationType") != NOTIFICATION_TYPE:
        raise DataError(f"not an {NOTIFICATION_TYPE} notification: {notification.get('NotificationType')!r}")
    metadata = notification.get("NotificationMetadata") or {}
    payload = notification.get("Payload") or {}
    if not isinstance(metadata, Mapping) or not isinstance(payload, Mapping):
        raise DataError(f"{NOTIFICATION_TYPE} notification: NotificationMetadata and Payload must be objects")
    notification_id, seller_id = metadata.get("NotificationId"), payload.get("SellerId")
    if not notification_id or not seller_id or not payload.get("SKU"):
        raise DataError(f"{NOTIFICATION_TYPE} notification lacks NotificationId, SellerId or SKU")
    if not all(isinstance(v, str | int) for v in (notification_id, seller_id)) or not isinstance(payload["SKU"], str):
        raise DataError(f"{NOTIFICATION_TYPE} notification: NotificationId, SellerId and SKU must be text")
    # Read when the notification is applied (which networks it concerns): a list, or refused now.
    if not isinstance(payload.get("FulfillmentInventoryByMarketplace"), list):
        raise DataError(f"{NOTIFICATION_TYPE} of {payload['SKU']} without FulfillmentInventoryByMarketplace")
    account = account_for_seller(str(seller_id))
    if account is None:
        raise DataError(f"{NOTIFICATION_TYPE} for unknown seller {seller_id}")
    return ReadNotification(source=NOTIFICATION_SOURCE, notification_id=str(notification_id), account=account,
                            payload=notification)


async def notifications_stored(tx: UnitOfWork, account: str, notifications: list[ReadNotification]) -> None:
    """New notifications of ``account`` are stored: make sure a job applies them (same transaction)."""
    await APPLY_NOTIFICATIONS.defer_in(tx, account=account)


async def apply_pending_notifications(rt: FlowRuntime, account: str, *, limit: int = 500) -> int:
    """Apply the stored notifications of ``account``, oldest first; each is marked processed
    once applied (or quarantined)."""
    syncs = {sync.network: sync for sync in await fba_syncs_for(rt, account)}
    async with rt.store.transaction() as tx:
        items = await tx.inbox.pending(limit, source=NOTIFICATION_SOURCE, account=account)
    done = 0
    for item in items:
        payload = item.payload.get("Payload") or {}
        networks = {by_id(str(e.get("MarketplaceId"))).fba_network
                    for e in payload.get("FulfillmentInventoryByMarketplace") or []
                    if isinstance(e, Mapping) and _known_marketplace(e.get("MarketplaceId"))}
        for network in sorted(networks):
            if network in syncs:
                await syncs[network].apply_notification(payload)
        async with rt.store.transaction() as tx:
            await tx.inbox.mark_processed(item.id)
        done += 1
    return done


def _known_marketplace(marketplace_id: Any) -> bool:
    try:
        by_id(str(marketplace_id))
    except (KeyError, ValueError, LookupError):
        return False
    return True
