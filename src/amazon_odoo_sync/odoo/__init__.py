"""Odoo external-API client (JSON-RPC, JSON-2): auth, capacity governor, errors. No business rules.

Public surface::

    from amazon_odoo_sync.odoo import OdooClient, AdaptiveGovernor, to_odoo_datetime, m2o_id

See :mod:`.client` for the call interface, :mod:`.governor` for the adaptive concurrency limit,
:mod:`.errors` for how Odoo's errors map onto :mod:`amazon_odoo_sync.exceptions`, and
:mod:`.setup` for ``ensure_odoo_setup`` (the ``odoo setup`` checklist).
"""

from .client import POSITIONAL_NAMES, OdooClient, OdooVersion
from .governor import (
    AdaptiveGovernor,
    CallSlot,
    CapacityStore,
    Governor,
    InMemoryCapacityStore,
)
from .values import (
    chunked,
    from_odoo_date,
    from_odoo_datetime,
    m2o_id,
    m2o_name,
    none_if_false,
    to_odoo_date,
    to_odoo_datetime,
)

__all__ = [
    "POSITIONAL_NAMES",
    "AdaptiveGovernor",
    "CallSlot",
    "CapacityStore",
    "Governor",
    "InMemoryCapacityStore",
    "OdooClient",
    "OdooVersion",
    "chunked",
    "from_odoo_date",
    "from_odoo_datetime",
    "m2o_id",
    "m2o_name",
    "none_if_false",
    "to_odoo_date",
    "to_odoo_datetime",
]
