"""amazon-odoo-sync: a standalone connector between Amazon SP-API and Odoo's external API."""

__version__ = "0.1.0"
__all__ = ["__version__"]
