"""Odoo partners for the sale orders of a batch: claimed in the external ids (kind
``res.partner``) before anything is created, found again by their ``ref`` when a crashed attempt
created them, created in one call per level (customers, then their address children)."""

from __future__ import annotations

import hashlib

from ...mapping.partner import PartnerPlan, PartnerSpec
from ...odoo.client import OdooClient
from ...store.unit import UnitOfWork

__all__ = ["PARTNER", "QUIET", "ensure_partners"]

PARTNER = "res.partner"
#: Context for every write of this flow: no chatter work, no follower subscriptions.
QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True,
         "mail_notrack": True}


def _partner_ref(key: str) -> str:
    """The partner's ``ref`` in Odoo: finds a partner a crashed attempt created."""
    return "amz:" + hashlib.sha256(key.encode()).hexdigest()[:20]


async def ensure_partners(tx: UnitOfWork, odoo: OdooClient, account: str, plans: list[PartnerPlan]
                          ) -> dict[str, int]:
    """Odoo partner id per partner key: customers first, then their address children."""
    ids: dict[str, int] = {}
    customers = {p.customer.key: p.customer for p in plans}
    created = await _ensure(tx, odoo, account, customers, ids, parent=None)
    # A customer created here carries its order's delivery address: that delivery is the customer itself
    # (recorded under the delivery's key, so the buyer's next order to the same address finds it too).
    same = {plan.delivery.key: ids[plan.customer.key] for plan in plans
            if plan.delivery is not None and plan.customer.key in created
            and plan.delivery.address == customers[plan.customer.key].address}
    if same:
        await tx.external_ids.claim_many(account, PARTNER, [(key, None, None) for key in same])
        await tx.external_ids.record_many(account, PARTNER, [(key, same[key], None) for key in same])
        ids.update(same)
    children: dict[str, tuple[PartnerSpec, str]] = {}
    for plan in plans:
        for child in (plan.delivery, plan.invoice):
            if child is not None and child.key not in same:
                children[child.key] = (child, plan.customer.key)
    if children:
        await _ensure(tx, odoo, account, {k: spec for k, (spec, _) in children.items()}, ids,
                      parent={k: ids[parent] for k, (_, parent) in children.items()})
    return ids


async def _ensure(tx: UnitOfWork, odoo: OdooClient, account: str, specs: dict[str, PartnerSpec],
                  ids: dict[str, int], parent: dict[str, int] | None) -> set[str]:
    """Odoo ids of ``specs`` into ``ids``, creating the partners nobody created yet; the keys created."""
    missing: list[str] = []
    rows = await tx.external_ids.claim_many(account, PARTNER, [(key, None, None) for key in specs])
    for key in sorted(specs):
        odoo_id = rows[key].odoo_id
        if odoo_id is not None:
            ids[key] = odoo_id
        else:
            missing.append(key)
    if not missing:
        return set()
    refs = {_partner_ref(k): k for k in missing}
    found = await odoo.search_read(PARTNER, [("ref", "in", sorted(refs))], ["ref"],
                                   context={"active_test": False})
    for partner in found:
        ids[refs[partner["ref"]]] = int(partner["id"])
    create = [k for k in missing if k not in ids]
    if create:
        values = []
        for key in create:
            vals = dict(specs[key].values, ref=_partner_ref(key))
            if parent is not None:
                vals["parent_id"] = parent[key]
            values.append(vals)
        for key, odoo_id in zip(create, await odoo.create(PARTNER, values, context=QUIET), strict=True):
            ids[key] = odoo_id
    await tx.external_ids.record_many(account, PARTNER, [(key, ids[key], None) for key in missing])
    return set(create)
