"""A dict that keeps only its newest entries: the per-vendor tables that grow with traffic
(recent sends for duplicate checks, OTPs, short links) are bounded like the journal, so that a
long load test cannot exhaust memory. Their limit is the journal's (``journal_size``)."""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Newest(OrderedDict[K, V]):
    """Insertion-ordered; storing a key (new, or again) makes it the newest, and past ``limit``
    entries the oldest is dropped."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: K, value: V) -> None:
        if key in self:
            self.move_to_end(key)
        super().__setitem__(key, value)
        if len(self) > self.limit:
            self.popitem(last=False)
