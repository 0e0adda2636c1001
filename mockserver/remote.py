"""``RemoteMock``: one namespace of an sms-mockserver that runs elsewhere, through its ``/_mock/`` API.

When every pytest-xdist worker (or every CI job) shares one server — a container in
docker-compose, a service in CI — each takes a namespace of its own, and this gives it the
helpers of :class:`~mockserver.embed.MockServer` over HTTP: ``base_url``, ``messages``,
``message``, ``otp``, ``callbacks``, ``requests``, ``deliver``, ``reset`` and ``wait_for``. Sync
(the standard library's ``urllib``), because the tests that use it most are sync ones.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from mockserver.engine.namespaces import DEFAULT, check_name


class RemoteMock:
    """Namespace ``namespace`` of the server at ``url`` (``http://mock:8080``)."""

    def __init__(self, url: str, namespace: str = DEFAULT, *, admin_token: str | None = None, timeout: float = 10):
        self.url = url.rstrip("/")
        self.namespace_name = check_name(namespace)
        self.admin_token = admin_token
        self.timeout = timeout
        self._prefixes: dict[str, str] | None = None

    @property
    def mock_url(self) -> str:
        return self.url if self.namespace_name == DEFAULT else f"{self.url}/ns/{self.namespace_name}"

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"} if self.admin_token else {}

    def _admin(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        params = {k: v for k, v in query.items() if v is not None}
        url = f"{self.mock_url}/_mock{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
        data = json.dumps(body).encode() if body is not None else None
        headers = {**self.admin_headers, **({"Content-Type": "application/json"} if data is not None else {})}
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and method == "GET":
                return None
            raise RuntimeError(f"{method} {url}: {exc.code} {exc.read().decode(errors='replace')}") from None

    # -- what tests ask --------------------------------------------------------------------------
    def base_url(self, vendor: str) -> str:
        """Where ``vendor``'s API lives in this namespace: ``http://mock:8080/ns/job-1/smartsmsbulk``."""
        if self._prefixes is None:
            self._prefixes = {v["name"]: v["mounts"][0]["prefix"] for v in self._admin("GET", "/vendors")}
        if vendor not in self._prefixes:
            raise KeyError(f"no vendor {vendor!r}; mounted: {', '.join(sorted(self._prefixes))}")
        return self.mock_url + self._prefixes[vendor]

    def reset(self) -> None:
        self._admin("POST", "/reset", {})

    def messages(self, vendor: str | None = None, phone: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        query = {"vendor": vendor, "phone": phone, **filters}
        if "text" in query:
            query["q"] = query.pop("text")
        return list(self._admin("GET", "/messages", **query)["messages"])

    def message(self, message_id: str) -> dict[str, Any] | None:
        return self._admin("GET", f"/messages/{urllib.parse.quote(message_id, safe='')}")

    def otp(self, vendor: str | None, phone: str) -> dict[str, Any] | None:
        return self._admin("GET", "/otp", vendor=vendor, phone=phone)

    def callbacks(self, vendor: str | None = None, state: str | None = None, message: str | None = None) -> list:
        return list(self._admin("GET", "/callbacks", vendor=vendor, state=state, message=message)["callbacks"])

    def requests(self, vendor: str | None = None) -> list[dict[str, Any]]:
        return list(self._admin("GET", "/requests", vendor=vendor)["requests"])

    def deliver(self, message_id: str, status: str = "delivered", code: str | None = None) -> dict[str, Any]:
        body = {"status": status, **({"code": code} if code is not None else {})}
        return self._admin("POST", f"/messages/{urllib.parse.quote(message_id, safe='')}/deliver", body)

    def wait_for(
        self,
        vendor: str | None = None,
        phone: str | None = None,
        timeout: float = 5.0,
        *,
        count: int = 1,
        **filters: Any,
    ) -> dict[str, Any]:
        """The newest message matching the filters once ``count`` match (polls every 50 ms)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(vendor, phone, **filters)
            if len(found) >= count:
                return found[0]
            if time.monotonic() >= deadline:
                wanted = {k: v for k, v in {"vendor": vendor, "phone": phone, **filters}.items() if v is not None}
                raise TimeoutError(f"no message matching {wanted} within {timeout}s in namespace {self.namespace_name}")
            time.sleep(0.05)

    def drop(self) -> None:
        """Forget this namespace on the server (its state goes; the next use starts afresh)."""
        if self.namespace_name == DEFAULT:
            return
        # On the server's own /_mock/ (the listing of namespaces is server-wide).
        request = urllib.request.Request(
            f"{self.url}/_mock/namespaces/{self.namespace_name}", method="DELETE", headers=self.admin_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout):
                pass
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise

    def __repr__(self) -> str:
        return f"<RemoteMock {self.mock_url}>"
