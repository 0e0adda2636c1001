"""The ceiling: a bare aiohttp server that parses the request body (JSON, or a form for a
urlencoded body) and answers a fixed JSON body. Nothing of ours can be faster on this stack, so
``benchmarks/run.py`` reports each vendor operation as a ratio to this.

    python benchmarks/ceiling.py --port 8090
"""

from __future__ import annotations

import argparse
import asyncio
import json
from urllib.parse import parse_qsl

from aiohttp import web

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args()
    try:  # the same loop as the mock's (mockserver/tuning.py): the same stack
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", handle)
    print(f"ceiling listening on http://{args.host}:{args.port}", flush=True)
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
