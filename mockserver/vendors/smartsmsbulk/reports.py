"""SmartSMSBulk's delivery reports: the callback sent when a message reaches its final state.

The shape and the batching are the decisions of the package docstring ("Delivery callback"): a
JSON array ``[{refId, status, detail, phoneNo, message, sendTime}]`` POSTed to the message's
``callbackUrl``; reports for one URL that become final within the batch window share an array.
"""

from __future__ import annotations

from mockserver.core.store import FINAL_STATES, Message
from mockserver.http.vendor import Vendor, compact_json
from mockserver.vendors.smartsmsbulk.errors import DR_STATUS

BATCH_MAX = 100  # reports per callback array (our decision, the SendBulkSMS limit)


def on_status(vendor: Vendor, message: Message) -> None:
    """At a message's final state, queue its report for its callback URL's next batch."""
    if message.status not in FINAL_STATES or not message.callback_url:
        return
    status, detail = DR_STATUS[message.status]
    sent = vendor.services.clock.datetime().strftime("%Y-%m-%d %H:%M:%S.%f")
    report = {
        "refId": message.id,
        "status": status,
        "detail": detail,
        "phoneNo": message.recipient,
        "message": message.text,
        "sendTime": sent,
    }
    vendor.services.callbacks.send_batched(
        vendor=vendor.name,
        url=message.callback_url,
        item=report,
        encode=compact_json,
        headers={"Content-Type": "application/json; charset=utf-8"},
        message_id=message.id,
        accept=(200,),
        max_items=BATCH_MAX,
    )
