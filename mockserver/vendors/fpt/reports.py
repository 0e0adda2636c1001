"""FPT's delivery reports: none. FPT's document describes no delivery report push, so the mock
sends none; the journal (``/_mock/messages``) shows each message's lifecycle.

The module is here so that every vendor's report rendering has the same home, and a change to
FPT's reports (should the vendor publish one) has an obvious place to go.
"""

from __future__ import annotations

from mockserver.core.store import Message
from mockserver.http.vendor import Vendor


def on_status(vendor: Vendor, message: Message) -> None:
    """Nothing to send: the vendor has no delivery report."""
