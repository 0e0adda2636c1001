"""ANTS's delivery reports: the seed's callback document, sent when a message reaches its final
state, in the message's ``notifyContentType`` (else the account's ``callback_content_type``).

The decisions are the package docstring's ("Delivery reports"): one POST per message, XML as
the seed's UTF-16 document, ``Authorization`` from the account's ``callback_auth``.
"""

from __future__ import annotations

from mockserver.core.store import FINAL_STATES, Message
from mockserver.http.vendor import Vendor
from mockserver.vendors.ants import routes, xmlbody
from mockserver.vendors.ants.models import XML_CT


def on_status(vendor: Vendor, message: Message) -> None:
    """The seed's delivery report, once the message is final, in its notifyContentType."""
    if message.status not in FINAL_STATES or not message.callback_url:
        return
    account = vendor.model.accounts.get(message.account)
    if account is None:  # the config changed under a reset: nobody to report for
        return
    content_type = message.fields.get("notifyContentType") or account.callback_content_type
    report = {
        "bulkId": message.fields["bulkId"],
        "details": [{**vendor.model.detail(message), "callbackData": message.fields.get("callbackData")}],
    }
    body = xmlbody.render("CALLBACK", report, encoding="utf-16") if content_type == XML_CT else routes.to_json(report)
    vendor.services.callbacks.send(
        vendor=vendor.name,
        url=message.callback_url,
        body=body,
        headers=account.callback_headers(content_type),
        message_ids=[message.id],
    )
