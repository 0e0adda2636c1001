"""create-campaign, push-brandname-ads and cancel-ads: schedule rules, quota, batches, lifecycle."""

from __future__ import annotations

import base64
import re

import pytest

from .conftest import DEMO_SESSION, DEMO_TOKEN, advance, assert_error, clock_now, post, vn_time

CREATE = "/api/create-campaign"
ADS_PATH = "/api/push-brandname-ads"
CANCEL = "/api/cancel-ads"
AUTH = {"access_token": DEMO_TOKEN, "session_id": DEMO_SESSION}


def ads(code: str, phones: str) -> dict:
    return {**AUTH, "CampaignCode": code, "PhoneList": phones}


async def statuses(client, batch_id: str) -> list[str]:
    messages = (await (await client.get("/_mock/messages", params={"vendor": "fpt"})).json())["messages"]
    return [m["status"] for m in messages if m["fields"].get("BatchId") == batch_id]


async def test_campaign_code_looks_like_the_seed(client, campaign_factory):
    first, _ = await campaign_factory()
    second, _ = await campaign_factory()
    # base64 of an increasing number + PHP uniqid() (8 hex seconds + 5 hex)
    for code, number in ((first, b"636"), (second, b"637")):
        assert code.startswith(base64.b64encode(number).decode()), code
        assert re.fullmatch(r"[A-Za-z0-9]{4}[0-9a-f]{13}", code)
    now = int(await clock_now(client))
    assert abs(int(first[4:12], 16) - now) <= 2


async def test_quota_as_digit_string_is_taken(client, campaign_factory):
    code, _ = await campaign_factory(quota="15000")
    status, data = await post(client, ADS_PATH, ads(code, "84949123456,84949123457"))
    assert status == 200 and data["NumRemainQuota"] == 14998


async def test_campaign_name_must_be_unique(client, campaign_factory):
    await campaign_factory(name="Chuong trinh khuyen mai T6-2016")
    when, _ = vn_time(await clock_now(client))
    body = {
        **AUTH,
        "CampaignName": "Chuong trinh khuyen mai T6-2016",
        "BrandName": "FTI",
        "Message": "x",
        "ScheduleTime": when,
        "Quota": 1,
    }
    status, data = await post(client, CREATE, body)
    assert_error(status, data, 1014, 400)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ScheduleTime", "2016-06-16 10:30"),  # the seed's example: long past
        ("ScheduleTime", "{tomorrow} 07:59"),
        ("ScheduleTime", "{tomorrow} 11:31"),
        ("ScheduleTime", "{tomorrow} 13:29"),
        ("ScheduleTime", "{tomorrow} 20:01"),
        ("ScheduleTime", "{tomorrow} 23:00"),
        ("ScheduleTime", "{tomorrow}T10:30"),
        ("ScheduleTime", "{tomorrow} 10:30:00"),
        ("ScheduleTime", "{tomorrow} 25:00"),
        ("ScheduleTime", 1780000000),
        ("ScheduleTime", None),
        ("Quota", 0),
        ("Quota", -5),
        ("Quota", "15k"),
        ("Quota", 1.5),
        ("Quota", True),
        ("Quota", None),
        ("CampaignName", ""),
        ("CampaignName", None),
        ("Message", ""),
        ("Message", None),
        ("BrandName", None),
    ],
)
async def test_create_campaign_bad_fields_are_1014(client, field, value):
    when, _ = vn_time(await clock_now(client))
    tomorrow = when[:10]
    body = {**AUTH, "CampaignName": "KM", "BrandName": "FTI", "Message": "Giam gia", "ScheduleTime": when, "Quota": 10}
    if value is None:
        del body[field]
    else:
        body[field] = value.replace("{tomorrow}", tomorrow) if isinstance(value, str) else value
    status, data = await post(client, CREATE, body)
    assert_error(status, data, 1014, 400)


@pytest.mark.parametrize("hhmm", ["08:00", "11:30", "13:30", "20:00"])
async def test_send_window_edges_are_inside(client, hhmm):
    when, _ = vn_time(await clock_now(client))
    body = {
        **AUTH,
        "CampaignName": f"KM {hhmm}",
        "BrandName": "FTI",
        "Message": "Giam gia",
        "ScheduleTime": f"{when[:10]} {hhmm}",
        "Quota": 1,
    }
    status, data = await post(client, CREATE, body)
    assert status == 200, data


async def test_create_campaign_with_a_foreign_brandname_is_2513(client):
    when, _ = vn_time(await clock_now(client))
    body = {**AUTH, "CampaignName": "KM", "BrandName": "OTHER", "Message": "x", "ScheduleTime": when, "Quota": 1}
    assert_error(*(await post(client, CREATE, body)), 2513, 400)


async def test_push_ads_answers_batch_counts_and_schedules_messages(client, campaign_factory):
    code, at = await campaign_factory(quota=15000)
    status, data = await post(client, ADS_PATH, ads(code, "84949123456,0949123457"))
    assert status == 200
    assert list(data) == ["BatchId", "NumMessageSent", "NumRemainQuota"]
    assert re.fullmatch(r"qc\.\d{10}\.\d{4}", data["BatchId"])
    assert abs(int(data["BatchId"].split(".")[1]) - await clock_now(client)) <= 2
    assert (data["NumMessageSent"], data["NumRemainQuota"]) == (2, 14998)
    messages = (await (await client.get("/_mock/messages", params={"vendor": "fpt"})).json())["messages"]
    assert sorted(m["id"] for m in messages) == [f"{data['BatchId']}84949123456", f"{data['BatchId']}84949123457"]
    assert {m["text"] for m in messages} == {"Giam gia 10% cho hoa don tren 10tr dong"}
    assert {m["status"] for m in messages} == {"scheduled"}
    # nothing moves before the ScheduleTime; everything is delivered after it
    await advance(client, at - await clock_now(client) - 60)
    assert set(await statuses(client, data["BatchId"])) == {"scheduled"}
    await advance(client, 120)
    assert set(await statuses(client, data["BatchId"])) == {"delivered"}


async def test_phone_list_skips_invalid_repeated_and_empty_items(client, campaign_factory):
    code, _ = await campaign_factory(quota=10)
    status, data = await post(client, ADS_PATH, ads(code, "84949123456, 0949123456,12345,0201234567,0979123456,"))
    assert status == 200 and (data["NumMessageSent"], data["NumRemainQuota"]) == (2, 8)


@pytest.mark.parametrize("phones", ["", ",", "12345,abc", None, ["84949123456"]])
async def test_phone_list_without_a_valid_number_is_1014(client, campaign_factory, phones):
    code, _ = await campaign_factory()
    body = ads(code, "x")
    body["PhoneList"] = phones
    if phones is None:
        del body["PhoneList"]
    assert_error(*(await post(client, ADS_PATH, body)), 1014, 400)


async def test_unknown_or_foreign_campaign_is_1014(aiohttp_client, make_app):
    config = {
        "vendors": {
            "fpt": {
                "accounts": [
                    {
                        "client_id": "a",
                        "client_secret": "s",
                        "brandnames": ["A"],
                        "tokens": [{"access_token": "ta", "session_id": "x"}],
                    },
                    {
                        "client_id": "b",
                        "client_secret": "s",
                        "brandnames": ["B"],
                        "tokens": [{"access_token": "tb", "session_id": "x"}],
                    },
                ]
            }
        }
    }
    client = await aiohttp_client(make_app(config))
    when, _ = vn_time(await clock_now(client))
    status, data = await post(
        client,
        CREATE,
        {
            "access_token": "ta",
            "session_id": "x",
            "CampaignName": "n",
            "BrandName": "A",
            "Message": "m",
            "ScheduleTime": when,
            "Quota": 5,
        },
    )
    assert status == 200
    code = data["CampaignCode"]
    for path, extra in ((ADS_PATH, {"PhoneList": "0949123456"}), (CANCEL, {})):
        body = {"access_token": "tb", "session_id": "x", "CampaignCode": code, **extra}
        assert_error(*(await post(client, path, body)), 1014, 400)
        body["CampaignCode"] = "NjM1575fbf9aa0929"
        assert_error(*(await post(client, path, body)), 1014, 400)
    # the same name is fine for another client
    status, _ = await post(
        client,
        CREATE,
        {
            "access_token": "tb",
            "session_id": "x",
            "CampaignName": "n",
            "BrandName": "B",
            "Message": "m",
            "ScheduleTime": when,
            "Quota": 5,
        },
    )
    assert status == 200


async def test_over_quota_is_1016_and_sends_nothing(client, campaign_factory):
    code, _ = await campaign_factory(quota=3)
    status, data = await post(client, ADS_PATH, ads(code, "0949123456,0949123457"))
    assert status == 200 and data["NumRemainQuota"] == 1
    status, data = await post(client, ADS_PATH, ads(code, "0949123458,0949123459"))
    assert_error(status, data, 1016, 403)
    total = (await (await client.get("/_mock/messages", params={"vendor": "fpt"})).json())["count"]
    assert total == 2
    status, data = await post(client, ADS_PATH, ads(code, "0949123458"))
    assert status == 200 and data["NumRemainQuota"] == 0


async def test_campaign_lifecycle_cancel_one_sent_one_not(client, campaign_factory):
    code, at = await campaign_factory(hour=19, quota=10)
    _, first = await post(client, ADS_PATH, ads(code, "0949123456,0979123456"))
    # past the ScheduleTime and past the evening window: the first batch went out at 19:00
    await advance(client, at + 90 * 60 - await clock_now(client))
    assert set(await statuses(client, first["BatchId"])) == {"delivered"}
    # a batch pushed now waits for the next morning's window
    _, second = await post(client, ADS_PATH, ads(code, "0909123456,0329123456,0559123456"))
    assert second["NumRemainQuota"] == 5
    assert set(await statuses(client, second["BatchId"])) == {"scheduled"}
    status, data = await post(client, CANCEL, {**AUTH, "CampaignCode": code})
    assert status == 200
    assert data == {"success": [second["BatchId"]], "fail": [first["BatchId"]]}
    assert set(await statuses(client, second["BatchId"])) == {"cancelled"}
    # cancelled messages stay cancelled when their send moment passes; the quota came back
    await advance(client, 86400)
    assert set(await statuses(client, second["BatchId"])) == {"cancelled"}
    assert set(await statuses(client, first["BatchId"])) == {"delivered"}
    _, again = await post(client, CANCEL, {**AUTH, "CampaignCode": code})
    assert again == {"success": [second["BatchId"]], "fail": [first["BatchId"]]}
    _, third = await post(client, ADS_PATH, ads(code, "0949123458"))
    assert third["NumRemainQuota"] == 7


async def test_batch_pushed_after_schedule_inside_a_window_goes_at_once(client, campaign_factory):
    code, at = await campaign_factory(hour=10)
    await advance(client, at + 3600 - await clock_now(client))  # 11:00, inside the morning window
    _, batch = await post(client, ADS_PATH, ads(code, "0949123456"))
    await advance(client, 2)
    assert await statuses(client, batch["BatchId"]) == ["delivered"]
    _, data = await post(client, CANCEL, {**AUTH, "CampaignCode": code})
    assert data == {"success": [], "fail": [batch["BatchId"]]}


async def test_cancel_before_schedule_cancels_everything(client, campaign_factory):
    code, _ = await campaign_factory()
    _, one = await post(client, ADS_PATH, ads(code, "0949123456"))
    _, two = await post(client, ADS_PATH, ads(code, "0949123457"))
    _, data = await post(client, CANCEL, {**AUTH, "CampaignCode": code})
    assert data == {"success": [one["BatchId"], two["BatchId"]], "fail": []}


async def test_cancel_of_a_campaign_without_batches(client, campaign_factory):
    code, _ = await campaign_factory()
    assert await post(client, CANCEL, {**AUTH, "CampaignCode": code}) == (200, {"success": [], "fail": []})
