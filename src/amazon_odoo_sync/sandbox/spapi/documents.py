"""Feed and report documents, the simulator's stand-in for Amazon's pre-signed S3 URLs.

A feed document is created empty (``createFeedDocument``) and filled by the caller with a ``PUT``
to its URL; report and processing-report documents are written by the simulator. Both are read
with a ``GET`` to ``/_documents/{documentId}`` (served by ``routes_feeds``). Content is stored as
sent: a GZIP document stays compressed, and ``compression`` says so.
"""

from __future__ import annotations

import gzip
import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["DOCUMENT_PATH", "Document", "DocumentStore", "Now"]

#: Path prefix under the simulator's base URL where documents are uploaded and downloaded.
DOCUMENT_PATH = "/_documents"


class Now(Protocol):
    """The part of a clock the simulator's engines need (``SimClock`` and ``FakeClock`` fit)."""

    def now(self) -> datetime: ...


@dataclass(kw_only=True)
class Document:
    document_id: str
    content_type: str
    created: datetime
    content: bytes | None = None  # None until uploaded
    compression: str | None = None  # "GZIP" or None

    def text(self) -> str:
        """The decompressed content as text (UTF-8, as our documents are written)."""
        data = self.content or b""
        if self.compression == "GZIP" or data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        return data.decode("utf-8")


class DocumentStore:
    def __init__(self, clock: Now) -> None:
        self._clock = clock
        self._docs: dict[str, Document] = {}
        self._counter = itertools.count(1)

    def new_id(self, kind: str) -> str:
        # Amazon's ids look like amzn1.tortuga.4.eu.<uuid>.<suffix>; ours are as opaque.
        return f"amzn1.tortuga.4.sim.{kind}.{next(self._counter):08d}"

    def create(self, *, content_type: str, kind: str = "FEED") -> Document:
        doc = Document(document_id=self.new_id(kind), content_type=content_type,
                       created=self._clock.now())
        self._docs[doc.document_id] = doc
        return doc

    def put(self, document_id: str, content: bytes, *, compressed: bool | None = None) -> Document:
        doc = self._docs[document_id]
        doc.content = content
        is_gzip = content[:2] == b"\x1f\x8b" if compressed is None else compressed
        doc.compression = "GZIP" if is_gzip else None
        return doc

    def write(self, *, content: bytes, content_type: str, kind: str, gzip_over: int | None) -> Document:
        """A simulator-written document, gzip-compressed when larger than ``gzip_over`` bytes."""
        doc = self.create(content_type=content_type, kind=kind)
        if gzip_over is not None and len(content) > gzip_over:
            doc.content, doc.compression = gzip.compress(content, mtime=0), "GZIP"
        else:
            doc.content = content
        return doc

    def get(self, document_id: str) -> Document | None:
        return self._docs.get(document_id)

    @staticmethod
    def url(base_url: str, document_id: str) -> str:
        return f"{base_url.rstrip('/')}{DOCUMENT_PATH}/{document_id}"
