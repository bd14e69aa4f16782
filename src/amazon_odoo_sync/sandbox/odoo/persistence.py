"""Snapshots of the emulator's database in one JSON file, written atomically.

The file is rewritten after changes at most every ``interval`` seconds and on shutdown, so a
killed emulator loses at most that much; a restart with the same path continues from it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .database import Database

__all__ = ["Snapshotter", "load_snapshot", "save_snapshot"]


def load_snapshot(path: Path) -> Database | None:
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as fh:
        return Database.from_json(json.load(fh))


def save_snapshot(db: Database, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(db.to_json(), fh, separators=(",", ":"))
    os.replace(tmp, path)
    db.dirty = False


class Snapshotter:
    def __init__(self, path: Path, interval: float = 0.5) -> None:
        self.path = path
        self.interval = interval
        self._last = 0.0

    def maybe_save(self, db: Database, force: bool = False) -> None:
        if not db.dirty:
            return
        now = time.monotonic()
        if force or now - self._last >= self.interval:
            save_snapshot(db, self.path)
            self._last = now
