"""Stand-ins for the outside world: an SP-API simulator and an Odoo emulator."""
