"""A data directory (``--data-dir``): one lock for the server, one SQLite file per world of state.

Layout::

    <data-dir>/LOCK                          held (fcntl.flock) by the one server using the directory
    <data-dir>/namespaces/<name>.sqlite3     one world of state; the default world is ``default``

Why a lock file and not SQLite's own locking: two servers on one directory would both run and
overwrite each other's state a flush at a time; the second one must refuse to start, with one
line that says who holds it. ``flock`` is released by the kernel when the holder dies, so a
``kill -9`` leaves no stale lock behind.

Every problem (locked, not a database, a schema this version does not know) is a
:class:`DataDirError` with one line of text: the CLI prints it and exits 2. Nothing here ever
resets a file it cannot read.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import IO

LOCK_NAME = "LOCK"
DEFAULT_WORLD = "default"
_WORLD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

# Schema versions (``PRAGMA user_version``) and the statements that bring a file from the
# previous version to each one. Version 0 is a new, empty file. A later release appends a
# version here; files of every earlier version are migrated forward at start-up, in one
# transaction per step, and files of a later version are refused.
MIGRATIONS: dict[int, Sequence[str]] = {
    1: (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        # ``body``: the key of the request the message came from in ``bodies`` (a bulk request's
        # messages share one) and ``data`` are written once; ``progress`` as the message moves on.
        "CREATE TABLE messages (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, body TEXT, progress TEXT NOT NULL, "
        "data TEXT NOT NULL)",
        "CREATE INDEX messages_seq ON messages (seq)",
        "CREATE TABLE bodies (id TEXT PRIMARY KEY, last INTEGER NOT NULL, data TEXT NOT NULL)",
        "CREATE INDEX bodies_last ON bodies (last)",
        "CREATE TABLE requests (n INTEGER PRIMARY KEY, data TEXT NOT NULL)",
        "CREATE TABLE otps (key TEXT PRIMARY KEY, n INTEGER NOT NULL, data TEXT NOT NULL)",
        "CREATE INDEX otps_n ON otps (n)",
        "CREATE TABLE callbacks (id TEXT PRIMARY KEY, n INTEGER NOT NULL, state TEXT NOT NULL, data TEXT NOT NULL)",
        "CREATE INDEX callbacks_n ON callbacks (n)",
        "CREATE TABLE inbound (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, data TEXT NOT NULL)",
        "CREATE INDEX inbound_seq ON inbound (seq)",
        "CREATE TABLE vendors (name TEXT PRIMARY KEY, data TEXT NOT NULL)",
    ),
}
SCHEMA_VERSION = max(MIGRATIONS)
# The tables of the current schema, in the order an export writes them (and an import reads them).
TABLES = ("meta", "vendors", "bodies", "messages", "requests", "otps", "callbacks", "inbound")


class DataDirError(Exception):
    """A data directory this server cannot use; ``str()`` is the one line the CLI prints."""


def world_path(data_dir: Path, name: str = DEFAULT_WORLD) -> Path:
    """The SQLite file of the world ``name`` (refused unless a plain file name: it becomes a path)."""
    if not _WORLD_NAME.match(name):
        raise DataDirError(f"namespace {name!r}: use letters, digits, '_', '.' and '-' (at most 64)")
    return data_dir / "namespaces" / f"{name}.sqlite3"


class DataDir:
    """A data directory held by this process until :meth:`close` (or the process ends)."""

    def __init__(self, path: Path, lock: IO[str]) -> None:
        self.path = path
        self._lock: IO[str] | None = lock

    @classmethod
    def acquire(cls, path: str | os.PathLike[str]) -> DataDir:
        """Create the directory if needed and take its lock; :class:`DataDirError` if another
        process holds it."""
        root = Path(path)
        try:
            (root / "namespaces").mkdir(parents=True, exist_ok=True)
            lock = open(root / LOCK_NAME, "a+", encoding="utf-8")  # noqa: SIM115 - held until close()
        except OSError as exc:
            raise DataDirError(f"data dir {root}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            lock.close()
            raise DataDirError(f"data dir {root} is in use by another server ({holder}); stop it first") from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"pid {os.getpid()}\n")
        lock.flush()
        return cls(root, lock)

    def world(self, name: str = DEFAULT_WORLD) -> Path:
        return world_path(self.path, name)

    def worlds(self) -> list[str]:
        """The names of the worlds saved in this directory."""
        return sorted(p.stem for p in (self.path / "namespaces").glob("*.sqlite3"))

    def close(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) a world's file in WAL mode, checked and migrated to
    :data:`SCHEMA_VERSION`; :class:`DataDirError` for a file that is not a sound SQLite database
    or that has a schema this version does not know."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise DataDirError(f"{path}: cannot open: {exc}") from None
    try:
        _check_and_migrate(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise DataDirError(f"{path}: not a readable SQLite database ({exc}); move it away to start afresh") from None
    except DataDirError:
        conn.close()
        raise
    return conn


def _check_and_migrate(conn: sqlite3.Connection, path: Path) -> None:
    ok = conn.execute("PRAGMA quick_check").fetchone()[0]
    if ok != "ok":
        raise DataDirError(f"{path}: the database is damaged ({ok}); move it away to start afresh")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise DataDirError(
            f"{path}: schema version {version} is newer than this server's ({SCHEMA_VERSION}); use a newer mockserver"
        )
    if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        raise DataDirError(f"{path}: not a mockserver data file (unknown tables, no schema version)")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    for step in range(version + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[step]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {step:d}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
