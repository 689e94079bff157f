"""Engines for the history store: SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, make_url

SQLITE_BUSY_TIMEOUT_MS = 10_000
WRITE = {"history_write": True}  # execution option: on SQLite, begin with a write lock


def default_url(project_root: str | Path) -> str:
    """The default history database: `.data/history.db` under the project, folder created."""
    data = Path(project_root).resolve() / ".data"
    data.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data / 'history.db'}"


def _sqlite_on_connect(dbapi_conn, _record) -> None:
    # Take BEGIN out of the driver's hands (see _sqlite_on_begin); pragmas need autocommit anyway.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        _switch_to_wal(cursor)
    # NORMAL in WAL mode never corrupts; a power cut may lose the last commits, a crash loses none.
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()
    # SQLite's lower() folds ASCII only; Python's matches PostgreSQL's case-insensitive search.
    dbapi_conn.create_function("lower", 1, _lower, deterministic=True)


def _switch_to_wal(cursor) -> None:
    # Switching needs an exclusive lock and SQLite does not call the busy handler for it:
    # connections opening a new file at once must retry by hand.
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _sqlite_on_begin(conn) -> None:
    # A deferred transaction that reads and then writes fails at once with "database is locked"
    # when another writer got in between (busy_timeout cannot help); IMMEDIATE queues writers.
    immediate = conn.get_execution_options().get("history_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    """An engine for `url` (sqlite:/// or postgresql+psycopg://), configured for the store."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or "mode=memory" in url:
            # Each pooled connection would get its own empty database.
            raise ValueError("HISTORY_DATABASE_URL: an in-memory SQLite database cannot be shared; use a file")
        if not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, pool_size=10, max_overflow=20, pool_timeout=60)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":  # hosts hand out plain URLs; psycopg 3 is our driver
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=15, pool_timeout=60)
    raise ValueError(f"HISTORY_DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL, got a {backend!r} URL")


_sqlite_write_locks: dict[str, threading.Lock] = {}
_sqlite_write_locks_guard = threading.Lock()


def write_lock(engine: Engine) -> AbstractContextManager:
    """The in-process lock writers to this SQLite file share (no lock for PostgreSQL)."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    key = os.path.realpath(engine.url.database) if engine.url.database else ":memory:"
    with _sqlite_write_locks_guard:
        return _sqlite_write_locks.setdefault(key, threading.Lock())
