"""What a data dir does when things go wrong: a hard kill loses at most the last flush interval;
a damaged file, a directory another server holds, or a schema this version does not know stop
the server with one line and exit 2 (never a silent reset)."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from mockserver.core.datadir import SCHEMA_VERSION
from mockserver.engine.persistence import FLUSH_INTERVAL
from tests.persistence.conftest import get, run
from tests.persistence.test_restart import smartsmsbulk_send

WORLD = Path("namespaces") / "default.sqlite3"


def refused(data_dir: Path, config_file: Path) -> tuple[int, list[str]]:
    """A server started on ``data_dir`` that must not start: its exit code and stderr lines."""
    done = run("serve", "--port", "0", "--quiet", "--config", str(config_file), "--data-dir", str(data_dir))
    assert "listening" not in done.stdout
    return done.returncode, done.stderr.splitlines()


def test_a_hard_kill_keeps_everything_accepted_one_flush_interval_before(serve: Any, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = serve(data_dir)
    ids = [smartsmsbulk_send(first, f"668123450{n:02d}")["refId"] for n in range(20)]
    time.sleep(FLUSH_INTERVAL + 0.3)  # the documented window (one interval and a write), and a margin
    first.proc.send_signal(signal.SIGKILL)
    first.proc.communicate(timeout=10)

    second = serve(data_dir)  # the kernel released the lock with the process
    kept = {m["id"] for m in get(second, "/_mock/messages")["messages"]}
    assert set(ids) <= kept
    assert get(second, "/_mock/requests")["count"] == 20


def test_a_damaged_file_is_one_line_and_exit_2(tmp_path: Path, config_file: Path) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "namespaces").mkdir(parents=True)
    (data_dir / WORLD).write_bytes(b"this is no database, it is a text file\n" * 200)
    code, lines = refused(data_dir, config_file)
    assert code == 2
    assert len(lines) == 1 and "not a readable SQLite database" in lines[0], lines
    assert (data_dir / WORLD).read_bytes().startswith(b"this is no database")  # left as it was


def test_a_directory_another_server_holds_is_one_line_and_exit_2(serve: Any, tmp_path: Path, config_file: Path) -> None:
    data_dir = tmp_path / "data"
    holder = serve(data_dir)
    code, lines = refused(data_dir, config_file)
    assert code == 2
    assert len(lines) == 1 and "in use by another server" in lines[0] and str(holder.proc.pid) in lines[0], lines
    assert get(holder, "/_mock/health")  # the holder goes on unharmed
    code, _, _ = holder.stop(signal.SIGTERM)
    assert code == 0


@pytest.mark.parametrize(
    ("prepare", "says"),
    [
        (lambda db: db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}"), "is newer than this server's"),
        (lambda db: db.execute("CREATE TABLE somebody_elses (x)"), "not a mockserver data file"),
    ],
    ids=["newer schema", "unknown tables"],
)
def test_a_schema_this_version_does_not_know_is_refused(
    tmp_path: Path, config_file: Path, prepare: Any, says: str
) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "namespaces").mkdir(parents=True)
    with sqlite3.connect(data_dir / WORLD) as db:
        prepare(db)
    code, lines = refused(data_dir, config_file)
    assert code == 2
    assert len(lines) == 1 and says in lines[0], lines


def test_a_new_file_is_migrated_to_the_current_schema(serve: Any, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    served = serve(data_dir)
    served.stop(signal.SIGTERM)
    with sqlite3.connect(data_dir / WORLD) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_tables_are_bounded_as_the_journal_is(serve: Any, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    served = serve(data_dir, "--journal-size", "5")
    ids = [smartsmsbulk_send(served, f"668123451{n:02d}")["refId"] for n in range(12)]
    time.sleep(0.5)  # every lifecycle done (0.1 s) and flushed
    code, _, _ = served.stop(signal.SIGTERM)
    assert code == 0
    with sqlite3.connect(data_dir / WORLD) as db:
        assert [r[0] for r in db.execute("SELECT id FROM messages ORDER BY seq")] == ids[-5:]
        assert db.execute("SELECT count(*) FROM requests").fetchone()[0] == 5


def test_a_bulk_request_is_written_in_chunks_and_shares_its_request(serve: Any, tmp_path: Path) -> None:
    import requests

    from tests.persistence.test_restart import TBS_AUTH

    data_dir = tmp_path / "data"
    first = serve(data_dir)
    numbers = ",".join(f"0812{n:06d}" for n in range(500))  # more messages than one flush chunk
    resp = requests.post(
        f"{first.local_url}/thaibulksms/sms", auth=TBS_AUTH, data={"msisdn": numbers, "message": "Hi", "sender": "Demo"}
    )
    assert resp.status_code == 200, resp.text
    time.sleep(FLUSH_INTERVAL + 0.5)
    first.proc.send_signal(signal.SIGKILL)
    first.proc.communicate(timeout=10)

    second = serve(data_dir)
    listed = get(second, "/_mock/messages?limit=1000")["messages"]
    assert len(listed) == 500
    ends = [get(second, f"/_mock/messages/{m['id']}") for m in (listed[0], listed[-1])]
    assert ends[0]["request"] == ends[1]["request"] and "0812000499" in ends[0]["request"]["body"]
    assert ends[0]["response"]["status"] == 200
    with sqlite3.connect(data_dir / WORLD) as db:
        assert db.execute("SELECT count(*) FROM bodies").fetchone()[0] <= 3  # one per chunk at most
