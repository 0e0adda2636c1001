"""Voice OTP's delivery reports: none. The seed has no delivery report push (call results are
polled with checkVoice), so the accounts take no ``callback_url`` and no callback is sent.

The module is here so that every vendor's report rendering has the same home.
"""

from __future__ import annotations

from mockserver.core.store import Message
from mockserver.http.vendor import Vendor


def on_status(vendor: Vendor, message: Message) -> None:
    """Nothing to send: the gateway has no delivery report."""
