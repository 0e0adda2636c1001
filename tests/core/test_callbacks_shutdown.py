"""Graceful shutdown of a real ``mockserver serve`` process: pending callbacks get one more
attempt within the grace period, the rest are logged with their payloads, exit code 0."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from .lifecycle_helpers import SEND, sms

ROOT = Path(__file__).resolve().parents[2]
CONFIG = """
delivery: {sent_after: 0.01, final_after: 0.02}
callbacks: {backoff_initial: 30, backoff_max: 60, max_attempts: 5, grace: 3}
"""


async def start_server(tmp_path: Path, text: str = CONFIG, *args: str) -> tuple[asyncio.subprocess.Process, str]:
    """A real ``mockserver serve`` on an ephemeral port with ``text`` as its config (and ``args``)."""
    config = tmp_path / "config.yaml"
    config.write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mockserver", "serve", "--port", "0", "--config", str(config), "--quiet", *args,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 20)
    match = re.search(rb"listening on (http://\S+)", line)
    assert match, line
    return proc, match[1].decode()


async def stop_server(proc: asyncio.subprocess.Process, sig: int) -> tuple[int, str, str]:
    proc.send_signal(sig)
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_pending_callback_is_retried_once_at_shutdown(tmp_path, receiver, sig):
    receiver.statuses = [500, 200]  # refuses the first attempt; the next retry is ~15-30 s away
    proc, base = await start_server(tmp_path)
    try:
        async with aiohttp.ClientSession() as http:
            ref = (await (await http.post(base + SEND, json=sms(1, receiver.url))).json())["refId"]
        await receiver.wait_for(1)
    except BaseException:
        proc.kill()
        raise
    code, out, err = await stop_server(proc, sig)
    assert code == 0, err
    assert len(receiver.requests) == 2  # the one more attempt, well before the retry was due
    assert receiver.requests[1].json()[0]["refId"] == ref
    assert "stopping: 1 callback(s) pending" in out
    assert "stopped: callbacks pending 0, delivered 1, gave_up 0, dropped 0" in out
    assert "not delivered at shutdown" not in err


async def test_callback_still_failing_at_shutdown_is_logged_with_its_payload(tmp_path, receiver):
    receiver.statuses = [503]
    proc, base = await start_server(tmp_path)
    try:
        async with aiohttp.ClientSession() as http:
            ref = (await (await http.post(base + SEND, json=sms(2, receiver.url, text="keep me"))).json())["refId"]
        await receiver.wait_for(1)
    except BaseException:
        proc.kill()
        raise
    code, out, err = await stop_server(proc, signal.SIGTERM)
    assert code == 0, err
    assert len(receiver.requests) == 2
    assert "stopped: callbacks pending 1, delivered 0, gave_up 0, dropped 0" in out
    (logged,) = [line for line in err.splitlines() if "not delivered at shutdown" in line]
    assert receiver.url in logged and ref in logged and '"message":"keep me"' in logged
    assert "(2 attempt(s))" in logged


async def test_grace_period_is_respected_with_a_hanging_receiver(tmp_path, aiohttp_server):
    from aiohttp import web

    arrived = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        arrived.set()
        await asyncio.sleep(30)
        return web.Response(text="too late")

    app = web.Application()
    app.router.add_post("/hang", hang)
    server = await aiohttp_server(app)
    config = CONFIG.replace("grace: 3", "grace: 0.5, timeout: 20")
    proc, base = await start_server(tmp_path, config)
    try:
        async with aiohttp.ClientSession() as http:
            await http.post(base + SEND, json=sms(3, str(server.make_url("/hang"))))
        await asyncio.wait_for(arrived.wait(), 10)
    except BaseException:
        proc.kill()
        raise
    started = asyncio.get_running_loop().time()
    code, out, err = await stop_server(proc, signal.SIGTERM)
    assert code == 0, err
    assert asyncio.get_running_loop().time() - started < 5
    assert "stopped: callbacks pending 1" in out
    (logged,) = [line for line in err.splitlines() if "not delivered at shutdown" in line]
    assert "(1 attempt(s))" in logged
