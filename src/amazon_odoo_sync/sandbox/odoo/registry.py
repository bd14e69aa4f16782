"""All emulated models, keyed by Odoo model name, wired to one database."""

from __future__ import annotations

from . import accounting, mail, partners, products, sales, stock
from .database import Database
from .orm import Model

__all__ = ["MODEL_CLASSES", "build_registry"]

MODEL_CLASSES: list[type[Model]] = [
    *partners.MODELS, *products.MODELS, *stock.MODELS, *sales.MODELS, *accounting.MODELS, *mail.MODELS,
]


def build_registry(db: Database) -> dict[str, Model]:
    """Instantiate every model, resolve ``_inherits`` and create the indexes on ``db``."""
    registry: dict[str, Model] = {cls._name: cls() for cls in MODEL_CLASSES}
    for model in sorted(registry.values(), key=lambda m: bool(m._inherits)):
        model._setup(registry, db)
    return registry
