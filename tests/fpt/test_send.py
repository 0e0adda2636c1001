"""push-brandname-otp and push-brandname-international: base64, phones, telcos, 2501, 2513, journal."""

from __future__ import annotations

import pytest

from mockserver.vendors.fpt.telcos import TELCO_BY_PREFIX

from .conftest import advance, assert_error, b64, otp_body, post

SEND = "/api/push-brandname-otp"
INTL = "/api/push-brandname-international"


async def test_send_answers_the_seed_shape_and_is_journaled(client):
    status, data = await post(client, SEND, otp_body("0949123456", "test tin nhắn"))
    assert status == 200
    assert list(data) == ["MessageId", "BrandName", "Phone", "Message", "PartnerId", "Telco"]
    assert data["BrandName"] == "FTI" and data["Phone"] == "84949123456" and data["Message"] == "test tin nhắn"
    assert data["PartnerId"] == "556" and data["Telco"] == "vina" and isinstance(data["MessageId"], int)
    response = await client.get("/_mock/messages", params={"vendor": "fpt"})
    [message] = (await response.json())["messages"]
    assert message["id"] == str(data["MessageId"])
    assert (message["recipient"], message["text"], message["sender"]) == ("84949123456", "test tin nhắn", "FTI")
    assert message["fields"]["Telco"] == "vina" and message["encoding"] == "UCS-2"
    detail = await (await client.get(f"/_mock/messages/{data['MessageId']}")).json()
    assert b64("test tin nhắn") in detail["request"]["body"]


async def test_message_is_delivered_on_the_clock(client):
    _, data = await post(client, SEND, otp_body())
    await advance(client, 2)
    detail = await (await client.get(f"/_mock/messages/{data['MessageId']}")).json()
    assert [s["status"] for s in detail["timeline"]] == ["accepted", "sent", "delivered"]


async def test_message_ids_increase(client):
    ids = []
    for n in range(3):
        _, data = await post(client, SEND, otp_body(f"094912345{n}"))
        ids.append(data["MessageId"])
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]


@pytest.mark.parametrize(("prefix", "telco"), sorted(TELCO_BY_PREFIX.items()))
async def test_telco_of_every_prefix(client, prefix, telco):
    local = f"{prefix}1234567"
    status, data = await post(client, SEND, otp_body(local))
    assert status == 200 and data["Telco"] == telco and data["Phone"] == "84" + local[1:]
    status, data = await post(client, SEND, otp_body("84" + local[1:], "second text"))
    assert status == 200 and data["Telco"] == telco


async def test_the_notes_telco_table_is_complete():
    from collections import Counter

    assert Counter(TELCO_BY_PREFIX.values()) == {
        "viettel": 12,
        "vina": 8,
        "mobi": 8,
        "vietnamobile": 4,
        "gmobile": 2,
        "itel": 1,
        "reddi": 1,
    }


@pytest.mark.parametrize(
    "text",
    [
        "Mã xác thực của bạn là 482913. Không chia sẻ mã này với bất kỳ ai.",
        "Tiếng Việt: ắằẳẵặ ấầẩẫậ ếềểễệ ốồổỗộ ớờởỡợ ứừửữự ỳýỷỹỵ đĐ",
        "plain ascii OTP 1234",
        "emoji 👍 và dấu",
    ],
)
async def test_vietnamese_text_round_trips_through_base64(client, text):
    status, data = await post(client, SEND, otp_body(text=text))
    assert status == 200 and data["Message"] == text
    [message] = (await (await client.get("/_mock/messages")).json())["messages"]
    assert message["text"] == text


BAD_MESSAGES = [
    "dGVzdCB0aW4gbmjuhuq9u",  # the seed's own example: 21 characters, not base64
    "dGVzdA",  # padding missing
    "dGVz dA==",  # a space inside
    "not base64!",
    "//79/A==",  # valid base64, not UTF-8
    "",
    "ICAg",  # three spaces: nothing to send
    b64("a" * (153 * 10 + 1)),  # more than 10 SMS parts
    12345,
    None,
]
BAD_PHONES = [
    "+0949123456",
    "+949123456",
    "+840949123456",
    "84949123",
    "0949 123 456",
    "02439123456",
    "0109123456",
    "849491234567",
    "",
    None,
    ["0949123456"],
]


@pytest.mark.parametrize(
    ("field", "value"), [("Message", m) for m in BAD_MESSAGES] + [("Phone", p) for p in BAD_PHONES]
)
async def test_bad_message_or_phone_is_1014(client, field, value):
    body = otp_body()
    body[field] = value
    status, data = await post(client, SEND, body)
    assert_error(status, data, 1014, 400)


async def test_phone_as_json_number_is_taken(client):
    status, data = await post(client, SEND, otp_body(84949123456))
    assert status == 200 and data["Phone"] == "84949123456"


@pytest.mark.parametrize("brand", ["FPT", "fti", "SKYLAKEGOLF"])
async def test_foreign_brandname_is_2513(client, brand):
    status, data = await post(client, SEND, otp_body(BrandName=brand))
    assert_error(status, data, 2513, 400)


async def test_missing_brandname_is_1014(client):
    status, data = await post(client, SEND, otp_body(BrandName=None))
    assert_error(status, data, 1014, 400)


async def test_same_text_to_same_number_within_five_minutes_is_2501(client):
    assert (await post(client, SEND, otp_body("0949123456", "Ma OTP 1234")))[0] == 200
    status, data = await post(client, SEND, otp_body("84949123456", "Ma OTP 1234"))
    assert_error(status, data, 2501, 400)
    # another text or another number is fine
    assert (await post(client, SEND, otp_body("0949123456", "Ma OTP 5678")))[0] == 200
    assert (await post(client, SEND, otp_body("0949123457", "Ma OTP 1234")))[0] == 200
    await advance(client, 299)
    status, data = await post(client, SEND, otp_body("0949123456", "Ma OTP 1234"))
    assert_error(status, data, 2501, 400)
    await advance(client, 1)
    assert (await post(client, SEND, otp_body("0949123456", "Ma OTP 1234")))[0] == 200
    messages = (await (await client.get("/_mock/messages", params={"phone": "84949123456"})).json())["messages"]
    assert [m["text"] for m in messages] == ["Ma OTP 1234", "Ma OTP 5678", "Ma OTP 1234"]


async def test_request_id_is_kept_and_echoed(client):
    status, data = await post(client, SEND, otp_body(RequestId="order-77"))
    assert status == 200 and data["RequestId"] == "order-77"
    detail = await (await client.get(f"/_mock/messages/{data['MessageId']}")).json()
    assert detail["fields"]["RequestId"] == "order-77"
    status, data = await post(client, SEND, otp_body("0949123457", RequestId={"x": 1}))
    assert_error(status, data, 1014, 400)


async def test_international_send(client):
    status, data = await post(client, INTL, otp_body("+66812345678", "Hello from Vietnam"))
    assert status == 200 and data["Phone"] == "66812345678" and data["Telco"] == "international"
    status, data = await post(client, INTL, otp_body("6591234567", "Xin chào"))
    assert status == 200 and data["Message"] == "Xin chào"
    [second, first] = (await (await client.get("/_mock/messages")).json())["messages"]
    assert first["operation"] == "send_international" and second["recipient"] == "6591234567"


@pytest.mark.parametrize("phone", ["84949123456", "0949123456", "+84949123456", "123", "0066812345678"])
async def test_international_rejects_vietnamese_and_malformed_numbers(client, phone):
    status, data = await post(client, INTL, otp_body(phone))
    assert_error(status, data, 1014, 400)


async def test_international_needs_the_otp_scope(client):
    from .conftest import get_token

    token = await get_token(client, "send_brandname")
    status, data = await post(client, INTL, otp_body("6591234567", access_token=token, session_id="s-1"))
    assert_error(status, data, 1010, 403)
