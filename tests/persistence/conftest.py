"""Helpers of the persistence tests: real ``mockserver serve --data-dir`` processes, real HTTP,
real SQLite files in a temporary directory."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.shipit import conftest as shipit
from tests.shipit.conftest import ROOT, Served, child_env, mockserver_cmd

serve_process = shipit.serve_process  # the fixture, for the tests of this folder

# Quick lifecycles and retries; a short grace so that a stop takes a moment.
CONFIG = """
delivery: {sent_after: 0.05, final_after: 0.1}
callbacks: {backoff_initial: 0.3, backoff_max: 0.6, max_attempts: 1000, timeout: 1, grace: 0.3}
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture
def serve(config_file: Path, serve_process: Any) -> Any:
    """``serve(data_dir, *more_args)``: a server on an ephemeral port, killed after the test."""

    def start(data_dir: Path | None, *more: str) -> Served:
        argv = ["serve", "--port", "0", "--quiet", "--config", str(config_file), *more]
        if data_dir is not None:
            argv += ["--data-dir", str(data_dir)]
        return serve_process(mockserver_cmd(*argv), child_env())

    return start


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """A ``mockserver`` command run to its end."""
    return subprocess.run(
        mockserver_cmd(*args), env=child_env(), cwd=ROOT, capture_output=True, text=True, input=stdin, timeout=60
    )


def get(served: Served, path: str) -> Any:
    resp = requests.get(served.local_url + path, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def listings(served: Served) -> dict[str, Any]:
    """Every /_mock/ listing a restart must keep (the clock's reading where it is frozen)."""
    clock = get(served, "/_mock/clock")
    messages = get(served, "/_mock/messages")
    return {
        "messages": messages,
        # each message in full: the exact request it came from and the answer the client got
        "details": [get(served, f"/_mock/messages/{m['id']}") for m in messages["messages"]],
        "requests": get(served, "/_mock/requests"),
        "callbacks": get(served, "/_mock/callbacks"),
        "scenario": get(served, "/_mock/scenario"),
        "otp_tbs": get(served, "/_mock/otp?vendor=thaibulksms&phone=0812345678"),
        "clock": {"frozen": clock["frozen"], "now": clock["now"] if clock["frozen"] else None},
    }


def wait_for(check: Any, timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass
class Receiver:
    """A real HTTP receiver on a port chosen before it listens (so a callback can fail first)."""

    port: int
    bodies: list[bytes] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/dr"

    def start(self) -> None:
        bodies = self.bodies
        handler = shipit.recording_handler(lambda _path, body: bodies.append(body))
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    from tests.shipit.conftest import free_port

    rec = Receiver(free_port())
    yield rec
    rec.stop()


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


PY = sys.executable
