"""What every outgoing SP-API/LWA request shares: our user agent."""

from __future__ import annotations

from importlib import metadata

__all__ = ["USER_AGENT"]


def _version() -> str:
    try:
        return metadata.version("amazon-odoo-sync")
    except metadata.PackageNotFoundError:
        return "0"


#: Amazon asks for "AppName/Version (Language=...)" so they can contact a misbehaving client.
USER_AGENT = f"amazon-odoo-sync/{_version()} (Language=Python)"
