"""Typed SP-API operations, one module per API; reached through ``SpApiClient`` attributes."""

from .fba_inventory import FbaInventoryApi
from .feeds import FeedsApi
from .finances import FinancesApi
from .listings import ListingsApi
from .notifications import NotificationsApi
from .orders import OrdersApi, OrdersV0Api
from .reports import ReportsApi

__all__ = ["FbaInventoryApi", "FeedsApi", "FinancesApi", "ListingsApi", "NotificationsApi", "OrdersApi",
           "OrdersV0Api", "ReportsApi"]
