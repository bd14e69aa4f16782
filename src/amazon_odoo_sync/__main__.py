"""``python -m amazon_odoo_sync`` = the ``amazon-odoo-sync`` command."""

from .cli.main import main

main()
