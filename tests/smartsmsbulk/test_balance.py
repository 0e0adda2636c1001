"""CheckBalance: the account's credit, timestamps in Unix seconds within a day of the clock."""

from __future__ import annotations

import time

import pytest

from tests.smartsmsbulk.conftest import BALANCE, balance, post


async def test_seed_shape(client):
    _, answer, text = await post(client, BALANCE, balance(user=6))
    assert answer == {"status": "OK", "detail": None, "creditBalance": 555}
    assert text == '{"status":"OK","detail":null,"creditBalance":555}'


@pytest.mark.parametrize(
    "timestamp", [int(time.time() * 1000), int(time.time()) - 90000, int(time.time()) + 90000, "abc", -1]
)
async def test_bad_timestamps(client, timestamp):
    _, answer, _ = await post(client, BALANCE, balance(timestamp=timestamp))
    assert answer == {"status": "ERR", "detail": "Invalid parameter timestamp", "creditBalance": 0}


async def test_timestamp_as_string(client):
    _, answer, _ = await post(client, BALANCE, balance(timestamp=str(int(time.time()))))
    assert answer["status"] == "OK"
