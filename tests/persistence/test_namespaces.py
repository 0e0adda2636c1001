"""Namespaces with ``--data-dir``: each is a file of the data dir. It survives a restart, an
evicted one comes back from its file on next use, a dropped one is deleted, and ``export
--namespace`` reads it."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import requests

from tests.shipit.conftest import Served
from tests.smartsmsbulk.signing import checksum

from .conftest import get, run


def send(served: Served, namespace: str, text: str) -> dict[str, Any]:
    body = {"phoneNo": "66812345678", "userId": 42, "partnerId": 21, "senderId": 25, "message": text}
    body["chksum"] = checksum("send_sms", body, "demo-smartsmsbulk-key-42")
    url = f"{served.local_url}/ns/{namespace}/smartsmsbulk/api/v2/SendSMS"
    return requests.post(url, json=body, timeout=10).json()


def texts(served: Served, namespace: str) -> list[str]:
    return [m["text"] for m in get(served, f"/ns/{namespace}/_mock/messages")["messages"]]


def test_a_namespace_survives_a_restart_and_eviction(serve: Any, tmp_path: Path, config_file: Path) -> None:
    config_file.write_text(config_file.read_text() + "namespaces: {max: 1}\n", encoding="utf-8")
    data = tmp_path / "data"
    first = serve(data)
    assert send(first, "team-a", "kept across a restart")["status"] == "OK"
    requests.post(f"{first.local_url}/ns/team-a/_mock/clock", json={"advance": "3h"}, timeout=10)
    moved = get(first, "/ns/team-a/_mock/clock")["now"]
    code, _, err = first.stop(signal.SIGTERM)
    assert code == 0, err
    assert (data / "namespaces" / "team-a.sqlite3").is_file()

    second = serve(data)
    assert texts(second, "team-a") == ["kept across a restart"]
    assert get(second, "/ns/team-a/_mock/clock")["now"] >= moved  # its own clock, restored
    assert get(second, "/_mock/messages")["total"] == 0  # the default namespace never had it
    # max 1: using team-b evicts team-a from memory; its file keeps it, and its next use restores it.
    assert send(second, "team-b", "b")["status"] == "OK"
    names = [ns["name"] for ns in get(second, "/_mock/namespaces")["namespaces"]]
    assert names == ["default", "team-b"]
    assert texts(second, "team-a") == ["kept across a restart"]

    # Dropping deletes the file: the namespace is gone for good.
    assert requests.delete(f"{second.local_url}/_mock/namespaces/team-a", timeout=10).status_code == 200
    assert not (data / "namespaces" / "team-a.sqlite3").exists()
    assert texts(second, "team-a") == []
    code, _, err = second.stop(signal.SIGTERM)
    assert code == 0, err

    exported = run("export", "--data-dir", str(data), "--namespace", "team-b", "-")
    assert exported.returncode == 0, exported.stderr
    header = json.loads(exported.stdout.splitlines()[0])
    assert header["namespace"] == "team-b"
    assert any('"b"' in line or "\\u0062" in line for line in exported.stdout.splitlines()[1:])


def test_a_namespace_only_on_disk_is_dropped_too(serve: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = serve(data)
    assert send(first, "team-c", "on disk")["status"] == "OK"
    first.stop(signal.SIGTERM)
    second = serve(data)  # team-c is not in memory: never used since this start
    assert requests.delete(f"{second.local_url}/_mock/namespaces/team-c", timeout=10).status_code == 200
    assert not (data / "namespaces" / "team-c.sqlite3").exists()
    assert requests.delete(f"{second.local_url}/_mock/namespaces/team-c", timeout=10).status_code == 404
    assert texts(second, "team-c") == []
