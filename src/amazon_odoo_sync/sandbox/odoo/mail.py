"""The chatter: ``mail.message`` and ``message_post`` on the models that inherit ``mail.thread``
in Odoo (sale.order, res.partner, stock.picking, account.move).

As in Odoo 18 (``addons/mail/models/mail_thread.py``): ``message_post`` works on exactly one
record ("Expected singleton" otherwise), takes keyword arguments (``body``, ``message_type``,
``subtype_xmlid``...), stores the body as HTML with a plain-text body escaped, and returns the
new message's id over RPC.
"""

from __future__ import annotations

import html as html_lib
from typing import Any, ClassVar

from .errors import OdooValueError
from .orm import Env, Model, char, html, integer, many2one, normalize_ids, selection

__all__ = ["MODELS", "MailMessage", "MailThread"]


class MailMessage(Model):
    _name = "mail.message"
    _description = "Message"
    _rec_name = "body"
    FIELDS: ClassVar[dict[str, Any]] = {
        "model": char(),
        "res_id": integer(),
        "body": html(),
        "message_type": selection(("email", "comment", "notification", "user_notification"),
                                  default="notification"),
        "subtype_xmlid": char(),
        "author_id": many2one("res.partner"),
    }
    _indexes = ("res_id",)


class MailThread:
    """Mixin giving a model Odoo's public ``message_post``."""

    _name: ClassVar[str]

    def message_post(self, env: Env, ids: Any, body: str = "", message_type: str = "notification",
                     subtype_xmlid: str | None = None, **_: Any) -> int:
        record_ids = normalize_ids(ids)
        if len(record_ids) != 1:
            raise OdooValueError(f"Expected singleton: {self._name}({', '.join(map(str, record_ids))})")
        env.row(self._name, record_ids[0])  # MissingError for a deleted record
        stored = body if body.lstrip().startswith("<") else f"<p>{html_lib.escape(body)}</p>"
        created = env["mail.message"].create(env, {"model": self._name, "res_id": record_ids[0], "body": stored,
                                                   "message_type": message_type,
                                                   "subtype_xmlid": subtype_xmlid or False})
        return int(created)


MODELS: list[type[Model]] = [MailMessage]
