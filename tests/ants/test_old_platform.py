"""The old platform (``api2.ants.co.th`` / ``api.ants.co.th``): ``/sms/1/text/single``, ``multi``,
``advanced`` with the same Basic auth, sharing credit, journal, lifecycle and reports with ``/sms/send``."""

from __future__ import annotations

import pytest

from .conftest import AUTH, JSON, XML

HOSTS = ["api2.ants.co.th", "api.ants.co.th"]


async def post(client, path, body, *, host="api2.ants.co.th", headers=JSON):
    response = await client.post(path, json=body, headers={**headers, "Host": host})
    return response.status, await response.json()


async def balance(client) -> float:
    response = await client.post("/ants/account/balance", headers=AUTH)
    return (await response.json())["credit"]


async def messages(client) -> list[dict]:
    return (await (await client.get("/_mock/messages", params={"vendor": "ants"})).json())["messages"]


@pytest.mark.parametrize("host", HOSTS)
async def test_single_one_number_on_each_old_host(client, host):
    before = await balance(client)
    status, data = await post(
        client, "/sms/1/text/single", {"from": "ANTS", "to": "66812345678", "text": "hi"}, host=host
    )
    assert status == 200, data
    [m] = data["messages"]
    assert "bulkId" not in data
    assert m["to"] == "66812345678" and m["smsCount"] == 1 and m["messageId"].isdigit()
    assert m["status"] == {
        "groupId": 1,
        "groupName": "PENDING",
        "id": 101,
        "name": "PENDING",
        "description": "Pending - Message has been accepted by the system",
    }
    assert await balance(client) == before - 1
    [journal] = await messages(client)
    assert journal["operation"] == "send_single" and journal["fields"]["messageId"] == m["messageId"]


async def test_single_several_numbers_with_a_bad_one(client):
    body = {"from": "ANTS", "to": ["66812345678", "0812345678", "66812345679"], "text": "hello"}
    status, data = await post(client, "/sms/1/text/single", body)
    assert status == 200 and data["bulkId"]
    got = [(m["to"], m["status"]["groupName"], m["smsCount"]) for m in data["messages"]]
    assert got == [("66812345678", "PENDING", 1), ("0812345678", "REJECTED", 0), ("66812345679", "PENDING", 1)]
    assert data["messages"][1]["status"]["groupId"] == 5
    assert data["messages"][1]["status"]["description"] == "Invalid destination address"


async def test_multi_several_texts(client):
    body = {
        "messages": [
            {"from": "ANTS", "to": "66812345678", "text": "first"},
            {"from": "Verify", "to": ["66812345679", "66812345670"], "text": "second"},
        ]
    }
    status, data = await post(client, "/sms/1/text/multi", body)
    assert status == 200 and len(data["messages"]) == 3 and data["bulkId"]
    journal = await messages(client)
    assert sorted((m["sender"], m["text"]) for m in journal) == [
        ("ANTS", "first"),
        ("Verify", "second"),
        ("Verify", "second"),
    ]
    assert {m["fields"]["bulkId"] for m in journal} == {data["bulkId"]}


async def test_advanced_with_bulk_id_and_a_delivery_report(client, receiver):
    body = {
        "bulkId": "my-bulk-1",
        "messages": [
            {
                "from": "ANTS",
                "destinations": [{"to": "66812345678", "messageId": "my-msg-1"}],
                "text": "advanced",
                "notifyUrl": receiver.url,
                "notifyContentType": "application/json",
                "callbackData": "ANTS Data",
            }
        ],
    }
    status, data = await post(client, "/sms/1/text/advanced", body)
    assert status == 200 and data["bulkId"] == "my-bulk-1"
    assert data["messages"][0]["messageId"] == "my-msg-1"
    [received] = await receiver.wait_for(1)
    report = received.json()
    assert report["bulkId"] == "my-bulk-1" and report["details"][0]["messageId"] == "my-msg-1"
    assert report["details"][0]["callbackData"] == "ANTS Data"
    # the new API's logs see it too
    response = await client.get("/ants/sms/loginfo", params={"bulkId": "my-bulk-1"}, headers=AUTH)
    assert (await response.json())[0]["details"][0]["text"] == "advanced"


async def test_under_the_ants_prefix_and_as_xml(client):
    xml = "<SMS><from>ANTS</from><to>66812345678</to><text>xml</text></SMS>"
    response = await client.post("/ants/sms/1/text/single", data=xml, headers=XML)
    assert response.status == 200 and response.content_type == "application/xml"
    text = await response.text()
    assert "<groupName>PENDING</groupName>" in text and "<to>66812345678</to>" in text


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "description"),
    [
        ("/sms/1/text/single", {"from": "ANTS", "to": "66812345678", "text": "x"}, {}, 401, "Authentication failed"),
        ("/sms/1/text/single", {"from": "ANTS", "to": "66812345678"}, JSON, 400, "text is required"),
        ("/sms/1/text/single", {"from": "A B", "to": "66812345678", "text": "x"}, JSON, 400, None),
        ("/sms/1/text/single", {"from": "ANTS", "text": "x"}, JSON, 400, "destinations is required"),
        ("/sms/1/text/multi", {"messages": []}, JSON, 400, "messages is required"),
        ("/sms/1/text/multi", {"from": "ANTS", "to": "66812345678", "text": "x"}, JSON, 400, "messages is required"),
        ("/sms/1/text/advanced", {"messages": [{"from": "ANTS", "text": "x"}]}, JSON, 400, "destinations is required"),
    ],
)
async def test_errors_have_the_ants_error_shape(client, path, body, headers, status, description):
    response = await client.post(path, json=body, headers={**headers, "Host": "api2.ants.co.th"})
    data = await response.json()
    assert response.status == status, data
    assert set(data) == {"error"} and set(data["error"]) == {"code", "name", "description"}
    if description:
        assert data["error"]["description"] == description
    assert await messages(client) == []


async def test_sender_not_allowed_is_a_per_number_refusal(client):
    status, data = await post(client, "/sms/1/text/single", {"from": "Nobody", "to": "66812345678", "text": "x"})
    assert status == 200 and data["messages"][0]["status"]["groupName"] == "REJECTED"
    assert await messages(client) == []


async def test_flat_body_on_sms_send_is_refused(client):
    body = {"from": "ANTS", "destinations": ["66812345678"], "text": "flat"}
    response = await client.post("/ants/sms/send", json=body, headers=JSON)
    assert response.status == 400
    assert (await response.json())["error"]["description"] == "messages is required"
