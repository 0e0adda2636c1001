"""The ceiling: a bare aiohttp server that parses the request body (JSON, or a form for a
urlencoded body) and answers a fixed JSON body. Nothing of ours can be faster on this stack, so
``benchmarks/run.py`` reports each vendor operation as a ratio to this.

It runs on the loop ``mockserver serve`` would pick (``mockserver.core.tuning.event_loop_policy``:
uvloop when installed, unless ``MOCKSERVER_UVLOOP=0``) and listens with the mock's backlog, so the
ratio compares the handlers, not two stacks; ``GET /_loop`` answers the loop's name, which
``run.py`` checks against the mock's ``/_mock/health``.

    python benchmarks/ceiling.py --port 8090 [--backlog 1024]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import parse_qsl

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mockserver.core.tuning import event_loop_policy, running_loop_name

FIXED = b'{"status":"OK","detail":"SUCCESS","refId":"00000000-0000-0000-0000-000000000000"}'


async def handle(request: web.Request) -> web.Response:
    raw = await request.read()
    if not raw:
        pass  # a readiness probe
    elif request.content_type == "application/x-www-form-urlencoded":
        dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    else:
        json.loads(raw)
    return web.Response(body=FIXED, content_type="application/json")


async def loop_name(_: web.Request) -> web.Response:
    return web.Response(text=running_loop_name())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--backlog", type=int, default=1024, help="listen backlog (run.py passes the mock's)")
    args = parser.parse_args()
    event_loop_policy()  # the mock's choice, by the mock's own code
    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_get("/_loop", loop_name)
    app.router.add_route("*", "/{tail:.*}", handle)
    print(f"ceiling listening on http://{args.host}:{args.port}", flush=True)
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None, backlog=args.backlog)


if __name__ == "__main__":
    main()
