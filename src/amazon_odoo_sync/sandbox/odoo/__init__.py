"""Odoo emulator: an HTTP server speaking Odoo 18 JSON-RPC / JSON-2."""
