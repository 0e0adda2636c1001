"""The answer to a request that no vendor and no ``/_mock/`` route serves: an unknown host, an
unknown prefix, or ``/``.

A user who points a client at the wrong base URL should learn at once what the mock does serve,
in a shape a client or ``curl`` shows, not aiohttp's plain-text 404. So the answer is a JSON 404
that lists every prefix and real host name; ``/`` asked for by a browser (``Accept: text/html``)
gets a small page that links the inbox and each vendor instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from html import escape
from typing import Any

from aiohttp import web

from mockserver.http.vendor import Vendor, json_response

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def served(vendors: Iterable[Vendor]) -> list[dict[str, Any]]:
    """What the mock serves, mount by mount: the vendor, its prefix and its real host names."""
    return [
        {"vendor": v.name, "title": v.title, "prefix": m.prefix, "hosts": list(m.hosts)}
        for v in vendors
        for m in v.mounts()
    ]


def handler(vendors: Iterable[Vendor]) -> Handler:
    """The catch-all route's handler (registered after every other route)."""
    mounts = served(vendors)

    async def unmapped(request: web.Request) -> web.StreamResponse:
        if request.path == "/" and "text/html" in request.headers.get("Accept", ""):
            return web.Response(text=_index_page(mounts), content_type="text/html", charset="utf-8")
        body = {
            "error": "not_found",
            "message": (
                f"the mock serves nothing at {request.method} {request.path} for Host "
                f"{request.host!r}: use a vendor prefix below, or a vendor's real host name as Host"
            ),
            "served": mounts,
            "inspection": "/_mock/",
            "inbox": "/_mock/ui/",
        }
        return json_response(body, status=404)

    return unmapped


def _index_page(mounts: list[dict[str, Any]]) -> str:
    rows = "".join(
        f"<li><a href='{escape(m['prefix'])}'>{escape(m['title'])}</a> <code>{escape(m['prefix'])}</code>"
        f" (real host: {escape(', '.join(m['hosts']) or '-')})</li>"
        for m in mounts
    )
    return (
        "<!doctype html><html lang='en'><meta charset='utf-8'><title>sms-mockserver</title>"
        "<h1>sms-mockserver</h1><p><a href='/_mock/ui/'>Web inbox</a> · <a href='/_mock/vendors'>vendors (JSON)</a>"
        f" · <a href='/_mock/health'>health</a></p><h2>Vendors</h2><ul>{rows}</ul></html>"
    )
