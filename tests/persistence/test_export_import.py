"""``mockserver export`` and ``mockserver import``: a sandbox's state as JSON lines, moved to
another data dir and served there with the same ``/_mock/`` listings; a bad file is refused
with its line number and writes nothing."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tests.persistence.conftest import Receiver, listings, run
from tests.persistence.test_restart import FPT_CLIENT, credit, fill, fpt_otp

WORLD = Path("namespaces") / "default.sqlite3"


def exported(tmp_path: Path, serve: Any, receiver: Receiver) -> tuple[Path, dict[str, Any], Any]:
    """A data dir with traffic of every kind, stopped, exported: (the file, listings, credit)."""
    data_dir = tmp_path / "original"
    served = serve(data_dir)
    fill(served, receiver)
    balance = credit(served)
    before = listings(served)
    code, _, _ = served.stop(signal.SIGTERM)
    assert code == 0
    file = tmp_path / "sandbox.jsonl"
    done = run("export", "--data-dir", str(data_dir), str(file))
    assert done.returncode == 0, done.stderr
    return file, before, balance


def test_export_then_import_gives_the_same_listings(serve: Any, tmp_path: Path, receiver: Receiver) -> None:
    file, before, balance = exported(tmp_path, serve, receiver)
    lines = file.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["format"] == "sms-mockserver-state"
    tables = {json.loads(line)["table"] for line in lines[1:]}
    assert {"meta", "vendors", "messages", "requests", "otps", "callbacks"} <= tables

    copy = tmp_path / "copy"
    done = run("import", "--data-dir", str(copy), str(file))
    assert done.returncode == 0, done.stderr
    served = serve(copy)
    after = listings(served)
    seen = {cb["id"]: len(cb["attempts"]) for cb in before["callbacks"]["callbacks"]}
    cut = [dict(cb, attempts=cb["attempts"][: seen[cb["id"]]]) for cb in after["callbacks"]["callbacks"]]
    assert {**after, "callbacks": {**after["callbacks"], "callbacks": cut}} == before
    assert credit(served) == balance


def test_export_refuses_a_directory_a_server_holds(serve: Any, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    serve(data_dir)
    done = run("export", "--data-dir", str(data_dir), str(tmp_path / "out.jsonl"))
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1 and "in use by another server" in done.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_a_bad_import_names_its_line_and_writes_nothing(serve: Any, tmp_path: Path, receiver: Receiver) -> None:
    file, _, _ = exported(tmp_path, serve, receiver)
    lines = file.read_text(encoding="utf-8").splitlines()
    broken = [*lines[:3], '{"table": "messages", "id": "x", "seq": 1, "data": {"id": "x"}}', *lines[3:]]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(broken) + "\n", encoding="utf-8")

    fresh = tmp_path / "fresh"
    done = run("import", "--data-dir", str(fresh), str(bad))
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1 and "line 4:" in done.stderr and "nothing was imported" in done.stderr
    assert not (fresh / WORLD).exists()

    # into a world that exists: it stays exactly as it was
    original = tmp_path / "original" / WORLD
    saved = original.read_bytes()
    done = run("import", "--data-dir", str(tmp_path / "original"), str(bad))
    assert done.returncode == 2
    assert original.read_bytes() == saved

    not_json = tmp_path / "garbage.jsonl"
    not_json.write_text(lines[0] + "\n{not json\n", encoding="utf-8")
    done = run("import", "--data-dir", str(fresh), str(not_json))
    assert done.returncode == 2 and "line 2: not JSON" in done.stderr


def test_the_embedded_server_keeps_its_state_in_a_data_dir(tmp_path: Path) -> None:
    import requests

    from mockserver.embed import MockServer

    with MockServer(data_dir=tmp_path / "data", seed=3) as first:
        url = first.url
        token = requests.post(f"{url}/fpt/oauth2/token", json=FPT_CLIENT, timeout=10).json()["access_token"]
    with MockServer(data_dir=tmp_path / "data", seed=3) as second:
        assert requests.get(f"{second.url}/_mock/requests", timeout=10).json()["count"] == 1
        served = SimpleNamespace(local_url=second.url)
        assert fpt_otp(served, token).status_code == 200  # type: ignore[arg-type]  # the token came back
