"""Fixtures of the web-inbox tests: a scenarios directory with two files to switch between,
an SSE reader, and a helper that sends each vendor's own sample request."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import services_of

ALWAYS_FAIL = """\
name: always-fail
description: Every message is accepted and then fails.
rules:
  - name: fail everything
    delivery: {status: failed}
"""

QUIET = """\
name: quiet
description: Normal service.
rules: []
"""


@pytest.fixture
def scenario_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Shipped-scenario lookups see ``quiet`` and ``always-fail`` first."""
    directory = tmp_path / "scenarios"
    directory.mkdir()
    (directory / "quiet.yaml").write_text(QUIET, encoding="utf-8")
    (directory / "always-fail.yaml").write_text(ALWAYS_FAIL, encoding="utf-8")
    monkeypatch.setenv("MOCKSERVER_SCENARIOS_DIR", str(directory))
    return directory


async def sse_events(resp) -> AsyncIterator[tuple[str, Any]]:
    """(event, data) pairs of a text/event-stream response, as a browser's EventSource sees them."""
    event, data = "message", []
    while True:
        raw = await resp.content.readline()
        if not raw:
            return
        line = raw.decode("utf-8").rstrip("\n")
        if line == "":
            if data:
                yield event, json.loads("\n".join(data))
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


async def send_sample(client, vendor: str, n: int = 0, text: str = "Hello from sms-mockserver", **extra: Any):
    """Send ``vendor``'s own sample request (``Vendor.sample_send``) through ``client``."""
    v = services_of(client).vendors[vendor]
    sample = v.sample_send(v.sample_recipient(n), text)
    return await client.request(sample.method, sample.path, headers=dict(sample.headers), data=sample.body)
