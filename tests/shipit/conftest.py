"""Fixtures of the ship-it tests: a thread-based callback receiver for sync tests, free ports,
and running the ``mockserver`` command as a real subprocess."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class SyncReceiver:
    """A real HTTP server in a thread that answers 200 and records every request."""

    url: str = ""
    bodies: list[Any] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(self.bodies) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.bodies)} callbacks received, wanted {count}")
            time.sleep(0.01)
        return self.bodies


def recording_handler(on_post: Callable[[str, bytes], None]) -> type[BaseHTTPRequestHandler]:
    """A receiver's request handler: every POST's path and body go to ``on_post``; it answers ``ok``."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            on_post(self.path, self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def sync_receiver() -> Iterator[SyncReceiver]:
    rec = SyncReceiver()

    def record(path: str, body: bytes) -> None:
        rec.paths.append(path)
        rec.bodies.append(json.loads(body))

    server = ThreadingHTTPServer(("127.0.0.1", 0), recording_handler(record))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/dr"
    yield rec
    server.shutdown()
    server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process that imports this checkout, minus our own variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


BANNER = re.compile(r"listening on (http://\S+)")


@dataclass
class Served:
    proc: subprocess.Popen
    url: str  # as printed in the banner
    banner: str

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def local_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15) -> tuple[int, str, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, self.banner + out, err


def start_serve(
    argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 20
) -> Served:
    """Run ``argv`` (a ``mockserver serve`` command line) and wait for its banner."""
    proc = subprocess.Popen(
        argv, env=env or child_env(), cwd=cwd or ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        found = BANNER.search(line)
        if found:
            # the banner is a block: read until the inspection API line
            while "inspection API" not in line:
                line = proc.stdout.readline()
                if not line:
                    break
                lines.append(line)
            return Served(proc, found.group(1), "".join(lines))
    proc.kill()
    out, err = proc.communicate()
    raise AssertionError(f"server did not start: {''.join(lines)}{out}\nstderr: {err}")


@pytest.fixture
def serve_process() -> Iterator[Any]:
    """``serve_process(argv, env=...)`` starts a server subprocess, stopped after the test."""
    started: list[Served] = []

    def start(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Served:
        served = start_serve(argv, env, cwd)
        started.append(served)
        return served

    yield start
    for served in started:
        if served.proc.poll() is None:
            served.proc.kill()
            served.proc.communicate()


def mockserver_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "mockserver", *args]
