"""Pure mapping functions: Amazon data in, Odoo values out. No I/O."""
