"""What a flow's notification intake hands back once it has read a notification (no I/O):
where it is stored in the inbox, under which key, for which account."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ReadNotification"]


@dataclass(frozen=True, kw_only=True)
class ReadNotification:
    #: Inbox source (one per flow and notification type).
    source: str
    #: Amazon's NotificationId: the inbox key, so a notification delivered twice is stored once.
    notification_id: str
    account: str
    payload: Mapping[str, Any]
