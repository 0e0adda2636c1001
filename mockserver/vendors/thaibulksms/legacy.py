"""ThaiBulkSMS legacy API (before v2): ``POST https://www.thaibulksms.com/sms_api.php``.

PyPI ``python-thaibulksms`` 0.0.2 and other public apps still call it. Mounted on host
``www.thaibulksms.com`` and under the mock prefix ``/thaibulksms-legacy``; operation
``legacy_send_sms``. It shares the accounts, credit, journal and message lifecycle (and delivery
reports to the account's default ``callback_url``) with ``POST /sms``.

Request (vendor notes): form-encoded ``username``, ``password``, ``msisdn`` (one or a
comma-separated list, the v2 formats), ``message``, ``sender``, ``force`` (``standard`` or
``premium``, the old name of corporate credit), ``ScheduledDelivery`` (``YYMMDDhhmm``,
Asia/Bangkok). A JSON body is read too (as ``/sms`` does). Answer: XML, root ``<SMS>``, one
``<QUEUE>`` per number with ``<Msisdn>`` (``66XXXXXXXXX``), ``<Status>`` ``1``, ``<Transaction>``
(the message id, as ``/sms``'s ``message_id``), ``<UsedCredit>`` and ``<RemainCredit>`` (the
remaining credit of the chosen type after the whole request); a refused number's ``<QUEUE>`` has
``<Msisdn>`` (as given), ``<Status>`` ``0`` and ``<Detail>`` (the reason), while the rest are sent.

Decisions where the notes are silent:
* Credentials are ``username``/``password`` on a ThaiBulkSMS account of the config (demo ``demo`` /
  ``demo-thaibulksms-pass``); missing or wrong ones are ``ERROR_AUTHENTICATION_FAILED``. The
  account flags (key/user state, IP rules) apply as on ``/sms``.
* ``sender`` is optional (the python client sends it only when set): absent, the account's first
  sender. ``force`` absent or empty is ``standard``; ``premium`` and ``corporate`` both take
  corporate credit; anything else is ``ERROR_FORCE``. ``ScheduledDelivery`` not ``YYMMDDhhmm`` or
  not a real time is ``ERROR_SCHEDULED_DELIVERY``; then the v2 rules (future, < 1 year).
* A refusal of the whole request is one ``<QUEUE>`` with ``<Status>0</Status>`` and the row's text
  in ``<Detail>`` (no ``<Msisdn>``, no credit tags, so the client's ``int()`` of them never meets
  text). The reasons are the v2 table's texts (the legacy texts are not published). Refusals of the
  request (the table's 400/401/403 rows) answer HTTP 200, as an old form API does; unknown paths
  (404), wrong methods (405) and the system rows (500) keep their status, with the same XML.
* XML is rendered with ``xml.etree.ElementTree``, ``Content-Type: application/xml; charset=utf-8``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiohttp import web

from mockserver.core.clock import BANGKOK
from mockserver.core.errors import ErrorRow, VendorError
from mockserver.http.vendor import Call, VendorHandlers
from mockserver.vendors.thaibulksms.models import ThaiBulkSMSModel, split_msisdn
from mockserver.vendors.thaibulksms.routes import client_ip, read_fields

LEGACY_PREFIX = "/thaibulksms-legacy"
LEGACY_HOSTS = ("www.thaibulksms.com",)
LEGACY_PATH = "/sms_api.php"
OPERATION = "legacy_send_sms"
XML_TYPE = "application/xml"
# The legacy ``force`` values -> the v2 credit type.
FORCE = {"": "standard", "standard": "standard", "premium": "corporate", "corporate": "corporate"}
SCHEDULE_FORMAT = "%y%m%d%H%M"
REFUSED_WITH_200 = frozenset({400, 401, 403})


def render_xml(queues: list[Mapping[str, Any]], status: int = 200) -> web.Response:
    """``<SMS><QUEUE><Tag>value</Tag>...</QUEUE>...</SMS>`` in the order each mapping gives."""
    root = ET.Element("SMS")
    for queue in queues:
        element = ET.SubElement(root, "QUEUE")
        for tag, value in queue.items():
            ET.SubElement(element, tag).text = str(value)
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return web.Response(body=body, status=status, content_type=XML_TYPE, charset="utf-8")


def legacy_error(call: Call | None, row: ErrorRow, detail: str, ctx: Mapping[str, Any]) -> web.Response:
    status = 200 if row.status in REFUSED_WITH_200 else row.status
    return render_xml([{"Status": 0, "Detail": detail}], status)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def scheduled_rfc3339(value: Any) -> str | None:
    """The v2 ``scheduled_delivery`` (RFC 3339, +07:00) of a legacy ``YYMMDDhhmm``; None if absent."""
    if value is None or value == "":
        return None
    text = value.strip() if isinstance(value, str) else ""
    try:
        if len(text) != len("YYMMDDhhmm") or not text.isdigit():
            raise ValueError(text)
        when = datetime.strptime(text, SCHEDULE_FORMAT).replace(tzinfo=BANGKOK)
    except ValueError:
        raise VendorError("ERROR_SCHEDULED_DELIVERY") from None
    return when.isoformat(timespec="seconds")


class LegacyHandlers(VendorHandlers):
    """``sms_api.php``: legacy fields mapped onto the v2 send rules, answered as XML."""

    model: ThaiBulkSMSModel  # looked up per call by the base class: a reset rebuilds it

    async def send_sms(self, call: Call) -> web.Response:
        model = self.model
        fields = await read_fields(call)
        account = model.authenticate_legacy(fields.get("username"), fields.get("password"))
        call.account = account.api_key
        model.check_access(account, client_ip(call.request))
        force = fields.get("force")
        force = force.strip().lower() if isinstance(force, str) else force
        if force is not None and force not in FORCE:
            raise VendorError("ERROR_FORCE")
        v2: dict[str, Any] = {
            "msisdn": fields.get("msisdn"),
            "message": fields.get("message"),
            "sender": fields.get("sender") or account.senders[0],
            "force": FORCE[force or ""],
        }
        scheduled = scheduled_rfc3339(fields.get("ScheduledDelivery"))
        if scheduled is not None:
            v2["scheduled_delivery"] = scheduled
        await call.consult(
            account=account.api_key,
            recipients=split_msisdn(_text(v2["msisdn"]) or "")[0],
            text=_text(v2["message"]),
            sender=_text(v2["sender"]),
        )
        req = model.validate_send(account, v2, "")
        messages = model.accept(account, req, await call.record(), operation=OPERATION)
        remain = account.credit[req.force]
        bad_text = call.vendor.errors["ERROR_MSISDN"].message
        queues: list[Mapping[str, Any]] = [
            {"Msisdn": m.recipient, "Status": 1, "Transaction": m.id, "UsedCredit": req.parts, "RemainCredit": remain}
            for m in messages
        ]
        queues += [{"Msisdn": n, "Status": 0, "Detail": bad_text} for n in req.bad_numbers]
        return render_xml(queues)
