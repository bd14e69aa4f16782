"""Odoo emulator: an HTTP server speaking Odoo 18 JSON-RPC (and JSON-2 when emulating 19+).

Use in-process::

    app = create_app()                      # latency_scale=0: instant
    transport = httpx.ASGITransport(app=app)

or as a server: ``amazon-odoo-sync sandbox odoo --port 8069``. Demo credentials: database
``odoo``, login ``admin``, password ``admin``, API key :data:`DEMO_API_KEY`.
"""

from .app import create_app
from .faults import Faults
from .latency import LatencyModel
from .seed import DEMO_API_KEY, DEMO_DATABASE, DEMO_LOGIN, DEMO_PASSWORD
from .service import OdooEmulator

__all__ = [
    "DEMO_API_KEY",
    "DEMO_DATABASE",
    "DEMO_LOGIN",
    "DEMO_PASSWORD",
    "Faults",
    "LatencyModel",
    "OdooEmulator",
    "create_app",
]
