"""Odoo external-API client (JSON-RPC, JSON-2): auth, capacity governor, errors. No business rules."""
