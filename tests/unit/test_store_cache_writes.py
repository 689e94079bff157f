"""Migration 6: each response's cache-write tokens, on SQLite and PostgreSQL, with the rollups still right."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import create_engine, insert, text
from sqlalchemy.pool import NullPool

from lib.store import HistoryStore, ResponseFilter, ResponseRecord
from lib.store.migrations import MIGRATIONS
from lib.store.records import utcnow
from lib.store.schema import schema_version

A = "user:alice@example.com"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def record(rid: str, **fields) -> ResponseRecord:
    return ResponseRecord(id=rid, owner=A, model="gpt-5", status="completed", created_at=T0, **fields)


def test_cache_writes_round_trip_sort_and_leave_the_rollups_right(history_store: HistoryStore) -> None:
    history_store.record_response(
        record("r1", input_tokens=1000, cached_tokens=200, cache_write_tokens=700, cost_usd=0.5)
    )
    history_store.record_response(record("r2", input_tokens=10, cache_write_tokens=3, cost_usd=0.25))
    history_store.record_response(record("r3", input_tokens=5))
    rows = history_store.responses(ResponseFilter(owner=A), order_by="cache_write_tokens")
    assert [(r["id"], r["cache_write_tokens"], r["cached_tokens"]) for r in rows] == [
        ("r1", 700, 200),
        ("r2", 3, 0),
        ("r3", 0, 0),
    ]
    # An upsert and a delete go through the same rollup triggers as before the column existed.
    history_store.record_response(record("r2", input_tokens=20, cache_write_tokens=9, cost_usd=0.75))
    history_store.delete_response(A, "r3")
    totals = history_store.totals(ResponseFilter(owner=A))
    assert (totals["responses"], totals["input_tokens"], totals["cached_tokens"]) == (2, 1020, 200)
    assert round(totals["cost_usd"], 9) == 1.25
    assert history_store.response(A, "r2")["cache_write_tokens"] == 9


def test_rows_recorded_before_migration_6_read_as_no_cache_writes(store_url: str) -> None:
    engine = create_engine(store_url, poolclass=NullPool)
    with engine.begin() as conn:
        schema_version.create(conn)
        for version, name, step in MIGRATIONS:
            if version < 6:
                step(conn)
                conn.execute(insert(schema_version).values(version=version, name=name, applied_at=utcnow()))
        conn.execute(
            text(
                "INSERT INTO responses (id, owner, model, status, input_tokens, cached_tokens, output_tokens, "
                "reasoning_tokens, cost_usd, tools, input_preview, output_preview, created_at) VALUES "
                "('old', :owner, 'gpt-5', 'completed', 100, 10, 5, 0, 0.001, '[]', 'hi', 'yo', :at)"
            ),
            {"owner": A, "at": T0},
        )
    engine.dispose()
    store = HistoryStore(store_url)  # migrates to the latest version
    try:
        assert store.response(A, "old")["cache_write_tokens"] == 0
        store.record_response(replace(record("new"), cache_write_tokens=42))
        assert store.response(A, "new")["cache_write_tokens"] == 42
        assert store.totals(ResponseFilter(owner=A))["responses"] == 2
    finally:
        store.close()
