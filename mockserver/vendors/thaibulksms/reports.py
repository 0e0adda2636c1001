"""ThaiBulkSMS's delivery reports: the callback sent when a message reaches its final state.

The fields and methods are the decisions of the package docstring ("Delivery reports"): one
report per message, as query parameters for ``callback_method`` GET, else a JSON body.
"""

from __future__ import annotations

from datetime import datetime

from yarl import URL

from mockserver.core.clock import BANGKOK
from mockserver.core.store import FINAL_STATES, SENT, Message
from mockserver.http.vendor import Vendor, compact_json
from mockserver.vendors.thaibulksms.errors import DR_STATUS


def iso_bangkok(at: float) -> str:
    return datetime.fromtimestamp(at, BANGKOK).isoformat(timespec="seconds")


def on_status(vendor: Vendor, message: Message) -> None:
    """At a message's final state, send its delivery report to its callback URL."""
    if message.status not in FINAL_STATES or not message.callback_url:
        return
    now = vendor.services.clock.now()
    status, error_message = DR_STATUS[message.status]
    sent_at = next((at for state, at in message.timeline if state == SENT), now)
    report = {
        "message_id": message.id,
        "msisdn": message.recipient,
        "status": status,
        "sent_time": iso_bangkok(sent_at),
        "done_time": iso_bangkok(now),
        "error_message": error_message,
        "tag": ",".join(message.fields.get("tags") or ()),
    }
    method = message.callback_method or "POST"
    if method == "GET":
        url = str(URL(message.callback_url).update_query(report))
        body, headers = b"", {}
    else:
        url = message.callback_url
        body, headers = compact_json(report), {"Content-Type": "application/json; charset=utf-8"}
    vendor.services.callbacks.send(
        vendor=vendor.name, url=url, body=body, method=method, headers=headers, message_ids=[message.id]
    )
