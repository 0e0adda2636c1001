"""Callback throughput: how many delivery reports per second reach a local receiver, and how many are lost.

Starts a real ``mockserver serve`` process (frozen clock, an account with enough credit), sends N
SmartSMSBulk messages through SendBulkSMS with a ``callbackUrl`` pointing at a receiver running in
this process, then advances the clock so that every report falls due at once and times how long
the dispatcher takes to get them all accepted by the receiver. With ``--clock real`` the clock
runs (messages become final about a second after they are sent) and the time is from the first
report received to the last.

    python benchmarks/callbacks.py                   # 20,000 messages, batching as configured
    python benchmarks/callbacks.py --batch-max 1     # one report per HTTP callback
    python benchmarks/callbacks.py --fail-first      # receiver refuses every first attempt

Prints reports/s, HTTP callbacks/s, refused sends (not answered OK), lost and doubled reports,
the journal's states; exit code 1 when a send was refused or a report lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mockserver.vendors.smartsmsbulk.checksums import checksum  # noqa: E402

KEY = "bench-key"
BULK = "/smartsmsbulk/api/v2/SendBulkSMS"


def config_text(args: argparse.Namespace) -> str:
    config = {
        "server": {"journal_size": max(100_000, args.messages * 2)},
        "callbacks": {"concurrency": args.concurrency, "max_attempts": 6, "backoff_initial": 0.05, "backoff_max": 0.5},
        "vendors": {
            "smartsmsbulk": {
                "accounts": [
                    {
                        "userId": 42,
                        "partnerId": 21,
                        "apiKey": KEY,
                        "senderIds": [25],
                        "creditBalance": 10 * args.messages,
                    }
                ]
            }
        },
    }
    if args.batch_max is not None:
        config["callbacks"]["batch_max"] = args.batch_max
    return json.dumps(config)  # JSON is YAML


def item(n: int, url: str) -> dict:
    body = {"phoneNo": f"668{n:08d}", "userId": 42, "partnerId": 21, "senderId": 25, "message": f"bench {n}"}
    body["callbackUrl"] = url
    body["chksum"] = checksum("send_bulk", body, KEY)
    return body


class Receiver:
    def __init__(self, fail_first: bool) -> None:
        self.refs: Counter[str] = Counter()
        self.requests = 0
        self.fail_first = fail_first
        self.seen_bodies: set[bytes] = set()
        self.done = asyncio.Event()
        self.expected = 0
        self.first = 0.0
        self.last = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests += 1
        if self.fail_first and body not in self.seen_bodies:
            self.seen_bodies.add(body)
            return web.Response(status=500, text="try again")
        for report in json.loads(body):
            self.refs[report["refId"]] += 1
        self.last = time.perf_counter()
        if not self.first:
            self.first = self.last
        if len(self.refs) >= self.expected:
            self.done.set()
        return web.Response(text="ok")


async def main(args: argparse.Namespace) -> int:
    receiver = Receiver(args.fail_first)
    receiver.expected = args.messages
    app = web.Application()
    app.router.add_post("/dr", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]  # the public list of the sockets the runner serves
    callback_url = f"http://127.0.0.1:{port}/dr"

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(config_text(args))
        config_path = f.name
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--quiet", "--config", config_path,
               "--scenario", str(ROOT / "scenarios" / "default.yaml"), "--seed", "1"]  # fmt: skip
    if args.clock == "frozen":
        command += ["--clock", "frozen"]
    proc = await asyncio.create_subprocess_exec(*command, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    line = await proc.stdout.readline()
    match = re.search(rb"listening on (http://\S+)", line)
    if not match:
        print("server did not start:", line.decode(), file=sys.stderr)
        return 2
    base = match[1].decode()
    drain = asyncio.create_task(proc.stdout.read())
    profiler = None
    if args.profile:  # py-spy (pip install py-spy) samples the server process while it works
        profiler = await asyncio.create_subprocess_exec(
            "py-spy", "record", "--pid", str(proc.pid), "--format", "raw", "-o", args.profile, "--rate", "250",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await asyncio.sleep(1.0)

    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=8)) as http:
            started = burst_started = time.perf_counter()
            batches = [
                [item(n, callback_url) for n in range(start, min(args.messages, start + 100))]
                for start in range(0, args.messages, 100)
            ]
            sent_refs: list[str] = []
            for i in range(0, len(batches), 8):  # 8 bulk requests in flight
                answers = await asyncio.gather(*(http.post(base + BULK, json=b) for b in batches[i : i + 8]))
                for resp in answers:
                    data = await resp.json()
                    sent_refs.extend(d["refId"] for d in data["data"] if d["status"] == "OK")
            send_seconds = time.perf_counter() - started
            if args.clock == "frozen":
                started = time.perf_counter()
                await http.post(base + "/_mock/clock", json={"advance": "1h"})
            deadline = time.monotonic() + args.timeout
            while not receiver.done.is_set() and time.monotonic() < deadline:
                try:
                    await asyncio.wait_for(receiver.done.wait(), 0.05)
                except TimeoutError:
                    if args.clock == "frozen":  # retries wait on the mock's clock: move it along
                        await http.post(base + "/_mock/clock", json={"advance": "1s"})
            if args.clock == "real":  # the clock adds its 1 s delivery delay: time the reports only
                started = receiver.first or started
            elapsed = (receiver.last or time.perf_counter()) - started
            burst = (receiver.last or time.perf_counter()) - burst_started
            await asyncio.sleep(0.3)  # anything doubled would show up now
            listing = await (await http.get(base + "/_mock/callbacks", params={"limit": "1"})).json()
    finally:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            await profiler.wait()
        proc.send_signal(signal.SIGTERM)
        await proc.wait()
        drain.cancel()
        await runner.cleanup()
        os.unlink(config_path)

    got = set(receiver.refs)
    lost = len(set(sent_refs) - got)
    doubled = sum(1 for n in receiver.refs.values() if n > 1)
    reports = len(got)
    refused = args.messages - len(sent_refs)  # a send the vendor did not answer OK has no report to wait for
    print(f"messages sent            {len(sent_refs)} (in {send_seconds:.2f} s)")
    print(f"refused                  {refused}")
    print(f"reports received         {reports} in {elapsed:.3f} s")
    print(f"reports/s                {reports / elapsed:,.0f}")
    print(f"HTTP callbacks           {receiver.requests} ({receiver.requests / elapsed:,.0f}/s)")
    print(f"burst (first send to last report) {burst:.3f} s")
    print(f"lost                     {lost}")
    print(f"doubled                  {doubled}")
    print(f"journal states           {listing['states']}")
    return 0 if refused == 0 and lost == 0 and doubled == 0 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--messages", type=int, default=20_000)
    parser.add_argument("--batch-max", type=int, help="reports per callback (server default 100; 1 = no batching)")
    parser.add_argument("--concurrency", type=int, default=64, help="callback workers")
    parser.add_argument("--clock", choices=("frozen", "real"), default="frozen")
    parser.add_argument("--fail-first", action="store_true", help="the receiver refuses each callback's first attempt")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--profile", metavar="FILE", help="record the server with py-spy (raw/collapsed stacks)")
    sys.exit(asyncio.run(main(parser.parse_args())))
