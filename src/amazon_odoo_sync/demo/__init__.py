"""Running the connector against the sandbox: wiring (accounts, Odoo setup, catalog), the
reconciliation of Odoo against the simulator's ground truth, and the ``demo`` orchestration."""
