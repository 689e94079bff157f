"""Database fixtures shared by tests: history-store URLs on SQLite and on PostgreSQL."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from lib.store import HistoryStore

# The server the tests expect; each test gets its own schema in it, so runs never collide.
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@functools.cache
def _admin_engine():
    return create_engine(PG_ADMIN_URL, poolclass=NullPool, connect_args={"connect_timeout": 3})


@functools.cache
def _postgres_error() -> str | None:
    try:
        with _admin_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the server means "unavailable"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


def require_postgres() -> None:
    """Skip the calling test when PostgreSQL is unreachable; in CI (CI=true) fail it instead."""
    error = _postgres_error()
    if error is None:
        return
    message = f"PostgreSQL at {make_url(PG_ADMIN_URL).render_as_string()} is unreachable ({error})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def postgres_schema_url() -> Iterator[str]:
    """A URL whose connections live in a new, empty schema; the schema is dropped afterwards."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex}"
    with _admin_engine().begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    # psycopg passes `options` to the server: every pooled connection starts in this schema.
    url = make_url(PG_ADMIN_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with _admin_engine().begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh, empty history database URL: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.db'}"
    else:
        with postgres_schema_url() as url:
            yield url


@pytest.fixture
def history_store(store_url: str) -> Iterator[HistoryStore]:
    """A migrated HistoryStore on `store_url`, closed after the test."""
    store = HistoryStore(store_url)
    try:
        yield store
    finally:
        store.close()
