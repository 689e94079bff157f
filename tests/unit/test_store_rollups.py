"""The History page's aggregates come from rollups kept by triggers: exact against the stored rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, inspect, select

from lib.store import HistoryStore, ResponseFilter, ResponseRecord, make_engine
from lib.store.migrations import MIGRATIONS
from lib.store.schema import conversations, metadata, responses, schema_version
from tests.db import history_store, store_url  # noqa: F401  (fixtures)
from tests.unit.test_store import T0, A, B, record_all, seed_records

MIDNIGHT = datetime(2026, 3, 3, tzinfo=UTC)


def expected(store: HistoryStore, f: ResponseFilter) -> dict[str, Any]:
    """Count, sums and per-day-and-model sums of the stored rows the filter selects, in Python."""
    rows = list(store.iter_responses(ResponseFilter(owner=f.owner)))
    chosen = [
        r
        for r in rows
        if (not f.models or r["model"] in f.models)
        and (not f.statuses or r["status"] in f.statuses)
        and (f.since is None or r["created_at"] >= f.since)
        and (f.until is None or r["created_at"] < f.until)
    ]
    days: dict[tuple[date, str], list[dict]] = defaultdict(list)
    for r in chosen:
        days[(r["created_at"].astimezone(UTC).date(), r["model"])].append(r)
    return {
        "count": len(chosen),
        "tokens": [
            sum(r[k] for r in chosen) for k in ("input_tokens", "cached_tokens", "output_tokens", "reasoning_tokens")
        ],
        "cost": sum(r["cost_usd"] or 0 for r in chosen),
        "daily": [
            (day, model, len(rs), sum(r["input_tokens"] + r["output_tokens"] for r in rs))
            for (day, model), rs in sorted(days.items())
        ],
        "models": sorted({r["model"] for r in rows}),
        "tools": sorted({t for r in rows for t in r["tools"]}),
    }


def assert_aggregates_exact(store: HistoryStore, f: ResponseFilter) -> None:
    want = expected(store, f)
    totals = store.totals(f)
    got_tokens = [totals[k] for k in ("input_tokens", "cached_tokens", "output_tokens", "reasoning_tokens")]
    assert (totals["responses"], got_tokens) == (want["count"], want["tokens"]), f
    assert all(type(v) is int for v in got_tokens + [totals["responses"], totals["total_tokens"]])
    assert totals["total_tokens"] == want["tokens"][0] + want["tokens"][2]
    assert totals["cost_usd"] == pytest.approx(want["cost"], abs=1e-12)
    assert store.count_responses(f) == want["count"]
    daily = store.daily_usage(f)
    assert [(r["day"], r["model"], r["responses"], r["total_tokens"]) for r in daily] == want["daily"], f
    assert store.distinct_models(f.owner) == want["models"]
    assert store.distinct_tools(f.owner) == want["tools"]


FILTERS = (
    ResponseFilter(owner=A),
    ResponseFilter(owner=A, models=("gpt-5",)),
    ResponseFilter(owner=A, models=("gpt-5", "o3"), statuses=("completed", "failed")),
    ResponseFilter(owner=A, since=MIDNIGHT, until=MIDNIGHT + timedelta(days=2)),
    ResponseFilter(owner=A, since=MIDNIGHT, statuses=("completed",)),
    ResponseFilter(owner=B),
)


def test_rollups_follow_inserts_updates_and_deletes(history_store):  # noqa: F811
    mine = seed_records(A, n=30)
    record_all(history_store, mine + seed_records(B, n=10))
    for f in FILTERS:
        assert_aggregates_exact(history_store, f)

    # Updated in place: a background response finishing, moved to another day, model and tools.
    for r in mine[:6]:
        history_store.record_response(
            replace(
                r,
                status="completed",
                model="gpt-5",
                input_tokens=r.input_tokens + 1000,
                cost_usd=0.25,
                created_at=r.created_at + timedelta(days=1),
                tools=("image_generation", "web_search"),
            )
        )
    history_store.delete_response(A, mine[10].id)
    assert history_store.delete_conversation(A, "conv_A1")
    for f in FILTERS:
        assert_aggregates_exact(history_store, f)

    # Once no response used a model or a tool, the filters stop offering it.
    for r in history_store.responses(ResponseFilter(owner=A), limit=100):
        if r["model"] == "o3" or "mcp" in r["tools"]:
            history_store.delete_response(A, r["id"])
    assert "o3" not in history_store.distinct_models(A) and "mcp" not in history_store.distinct_tools(A)
    for f in FILTERS:
        assert_aggregates_exact(history_store, f)


def test_filters_the_rollups_cannot_answer_read_the_rows(history_store):  # noqa: F811
    record_all(history_store, seed_records(A, n=30))
    everything = history_store.responses(ResponseFilter(owner=A), limit=100)
    at_noon = ResponseFilter(owner=A, since=MIDNIGHT + timedelta(hours=12))
    assert history_store.totals(at_noon)["responses"] == sum(r["created_at"] >= at_noon.since for r in everything)
    by_tool = ResponseFilter(owner=A, tool="web_search")
    assert history_store.count_responses(by_tool) == sum("web_search" in r["tools"] for r in everything)
    assert history_store.totals(ResponseFilter(owner=A, text="rome"))["responses"] == sum(
        "Rome" in r["input_preview"] for r in everything
    )
    in_conversation = ResponseFilter(owner=A, conversation_id="conv_A2")
    assert sum(r["responses"] for r in history_store.daily_usage(in_conversation)) == sum(
        r["conversation_id"] == "conv_A2" for r in everything
    )


def test_migration_5_sums_the_rows_already_stored(store_url):  # noqa: F811
    engine = make_engine(store_url)
    try:
        with engine.begin() as conn:  # a database as version 4 left it, with rows
            schema_version.create(conn)
            for version, name, step in MIGRATIONS:
                if version < 5:
                    step(conn)
                    conn.execute(insert(schema_version).values(version=version, name=name, applied_at=T0))
            conn.execute(
                insert(conversations),
                [
                    {
                        "id": f"conv_{n}",
                        "owner": owner,
                        "title": None,
                        "model": "m",
                        "status": "active",
                        "metadata": {},
                        "created_at": T0,
                        "updated_at": T0,
                        "last_used_at": T0,
                    }
                    for n, owner in enumerate((A, A, B))
                ],
            )
            conn.execute(
                insert(responses),
                [
                    {
                        "id": r.id,
                        "conversation_id": f"conv_{i % 2}" if r.owner == A else "conv_2",
                        "previous_response_id": None,
                        "owner": r.owner,
                        "model": r.model,
                        "status": r.status,
                        "input_tokens": r.input_tokens,
                        "cached_tokens": r.cached_tokens,
                        "output_tokens": r.output_tokens,
                        "reasoning_tokens": r.reasoning_tokens,
                        "cost_usd": r.cost_usd,
                        "latency_ms": r.latency_ms,
                        "ttft_ms": r.ttft_ms,
                        "tools": list(r.tools),
                        "input_preview": "",
                        "output_preview": "",
                        "error": None,
                        "created_at": r.created_at,
                    }
                    for i, r in enumerate(seed_records(A, n=20) + seed_records(B, n=5))
                ],
            )
    finally:
        engine.dispose()
    store = HistoryStore(store_url)
    try:
        for f in FILTERS:
            assert_aggregates_exact(store, f)
        assert store.delete_conversation(A, "conv_0")  # the triggers go on from the sums it made
        assert_aggregates_exact(store, ResponseFilter(owner=A))
        with store.engine.connect() as conn:
            found = inspect(conn)
            for table in ("response_days", "response_tools"):
                assert [c["name"] for c in found.get_columns(table)] == list(metadata.tables[table].c.keys())
            indexes = {ix["name"] for ix in found.get_indexes("responses")}
            assert {ix.name for ix in metadata.tables["responses"].indexes} <= indexes
            assert not indexes & {"ix_responses_owner_created", "ix_responses_owner_model"}  # superseded
            assert conn.execute(select(schema_version.c.version)).scalars().all().count(5) == 1
    finally:
        store.close()


def test_cost_taken_back_leaves_exactly_nothing(history_store):  # noqa: F811
    # As floats, 0.7 + 0.1 - 0.7 - 0.1 is -1.4e-16: the page would show "$-0.0000" for the response left.
    for id, cost in (("free", None), ("a", 0.7), ("b", 0.1)):
        history_store.record_response(
            ResponseRecord(id=id, owner=A, model="m", status="completed", created_at=T0, cost_usd=cost)
        )
    assert history_store.totals(ResponseFilter(owner=A))["cost_usd"] == pytest.approx(0.8)
    history_store.delete_response(A, "a")
    history_store.delete_response(A, "b")
    assert history_store.totals(ResponseFilter(owner=A))["cost_usd"] == 0.0
    assert [r["cost_usd"] for r in history_store.daily_usage(ResponseFilter(owner=A))] == [0.0]
