"""The history store on SQLite and PostgreSQL: round trips, filters, paging, owners, TTL, safety."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from lib.store import (
    ConversationClosed,
    HistoryStore,
    OwnershipError,
    ResponseFilter,
    ResponseRecord,
    default_url,
    make_engine,
    owner_for,
)
from lib.store.migrations import MIGRATIONS
from lib.store.schema import metadata as current_metadata
from lib.store.schema import schema_version
from tests.db import postgres_schema_url

ROOT = Path(__file__).resolve().parents[2]
A = "user:alice@example.com"
B = "key:0123456789abcdef"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
VERSIONS = [version for version, _, _ in MIGRATIONS]  # numbered on parallel branches: may have gaps


class Clock:
    """A settable clock for the store, so TTL tests need no sleeping."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def make_store(store_url: str) -> Iterator[Callable[..., HistoryStore]]:
    """Open HistoryStores on the test's database; all are closed afterwards."""
    opened: list[HistoryStore] = []

    def make(**kw) -> HistoryStore:
        opened.append(HistoryStore(store_url, **kw))
        return opened[-1]

    yield make
    for store in opened:
        store.close()


def as_row(r: ResponseRecord) -> dict:
    """What the store should give back for a record: the same fields, tools as a list."""
    row = asdict(r)
    row["tools"] = list(r.tools)
    return row


MODELS = ("gpt-5", "gpt-4o", "o3")
STATUSES = ("completed", "completed", "failed", "incomplete", "cancelled")
TOOLS = ((), ("web_search",), ("file_search", "code_interpreter"), ("web_search_preview",), ("mcp", "web_search"))
PREVIEWS = ("Plan a trip to Rome", "100% sure? say so", "the a_b test", "100 percent sure", "axb TEST again")


def seed_records(owner: str = A, n: int = 30, prefix: str = "resp") -> list[ResponseRecord]:
    """Deterministic records that differ in every filterable column; some values are NULL."""
    tag = "A" if owner == A else "B"
    out = []
    for i in range(n):
        out.append(
            ResponseRecord(
                id=f"{prefix}_{tag}{i:03d}",
                owner=owner,
                model=MODELS[i % 3],
                status=STATUSES[i % 5],
                created_at=T0 + timedelta(hours=7 * i, microseconds=i),
                conversation_id=(f"conv_{tag}{i % 4}" if i % 4 != 3 else None),
                input_tokens=100 + (i * 37) % 50,
                cached_tokens=i % 7,
                output_tokens=20 + (i * 13) % 40,
                reasoning_tokens=i % 5,
                cost_usd=None if i % 6 == 0 else round(0.001 * ((i * 7) % 11), 6),
                latency_ms=None if i % 5 == 4 else 200 + (i * 53) % 300,
                ttft_ms=None if i % 5 == 4 else 50 + i,
                tools=TOOLS[i % 5],
                input_preview=PREVIEWS[i % 5],
                output_preview=f"answer {i}" + (" Ünïcode" if i % 2 else ""),
                error="boom" if STATUSES[i % 5] == "failed" else None,
            )
        )
    return out


def record_all(store: HistoryStore, records: list[ResponseRecord]) -> None:
    for r in records:
        store.record_response(r)


# -- owners, URLs, pragmas ------------------------------------------------------------------------


def test_owner_for_prefers_the_user_and_hashes_keys():
    key = "sk-proj-THIS-IS-A-SECRET-KEY-1234567890"
    owner = owner_for(None, key)
    assert owner == "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
    assert key not in owner and "SECRET" not in owner
    assert owner_for("Alice@Example.com ", key) == "user:alice@example.com"
    assert owner_for("", key) == owner
    with pytest.raises(ValueError):
        owner_for(None, None)


def test_default_url_creates_data_dir_and_sqlite_pragmas(tmp_path):
    url = default_url(tmp_path)
    assert url == f"sqlite:///{tmp_path.resolve()}/.data/history.db"
    assert (tmp_path / ".data").is_dir()
    store = HistoryStore(url)
    try:
        assert (tmp_path / ".data" / "history.db").is_file()
        with store.engine.connect() as conn:
            pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") == 10_000
    finally:
        store.close()


def test_urls_are_checked_and_plain_postgres_urls_use_psycopg():
    with pytest.raises(ValueError, match="HISTORY_DATABASE_URL"):
        HistoryStore("mysql://root@localhost/history")
    for memory in ("sqlite://", "sqlite:///:memory:"):
        with pytest.raises(ValueError, match="in-memory"):
            HistoryStore(memory)
    for plain in ("postgres://u:p@db.example.com/h", "postgresql://u:p@db.example.com/h"):
        engine = make_engine(plain)  # engines connect lazily: nothing is contacted here
        assert engine.url.drivername == "postgresql+psycopg"
        engine.dispose()


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        ResponseRecord(id="r", owner=A, model="m", status="completed", created_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        ResponseFilter(owner=A, since=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="status"):
        ResponseRecord(id="r", owner=A, model="m", status="done")


# -- round trips ----------------------------------------------------------------------------------


def test_every_column_round_trips(history_store):
    full = ResponseRecord(
        id="resp_full",
        owner=A,
        model="gpt-5",
        status="incomplete",
        created_at=datetime(2026, 3, 1, 23, 30, 15, 123456, tzinfo=timezone(timedelta(hours=-5))),
        conversation_id="conv_1",
        previous_response_id="resp_prev",
        input_tokens=1234,
        cached_tokens=1000,
        output_tokens=567,
        reasoning_tokens=321,
        cost_usd=0.012345,
        latency_ms=4321,
        ttft_ms=210,
        tools=("web_search", "file_search"),
        input_preview="Wie spät ist es in Tōkyō? 'quotes' \"and\" 100%",
        output_preview="Es ist 🕐 — late",
        error="max_output_tokens",
    )
    bare = ResponseRecord(id="resp_bare", owner=A, model="o3", status="queued", created_at=T0)
    history_store.record_response(full)
    history_store.record_response(bare)

    got = history_store.response(A, "resp_full")
    assert got == as_row(full)
    assert got["created_at"].tzinfo == UTC and got["created_at"] == datetime(2026, 3, 2, 4, 30, 15, 123456, tzinfo=UTC)
    assert history_store.response(A, "resp_bare") == as_row(bare)
    assert history_store.responses(ResponseFilter(owner=A)) == [as_row(full), as_row(bare)]
    assert list(history_store.iter_responses(ResponseFilter(owner=A))) == [as_row(full), as_row(bare)]


def test_record_is_an_upsert_and_previews_are_cut(history_store):
    first = ResponseRecord(
        id="r1", owner=A, model="gpt-5", status="in_progress", created_at=T0, input_preview="x" * 500
    )
    history_store.record_response(first)
    done = replace(first, status="completed", output_tokens=99, output_preview="y" * 500, cost_usd=0.5)
    history_store.record_response(done)
    rows = history_store.responses(ResponseFilter(owner=A))
    assert len(rows) == 1
    assert rows[0]["status"] == "completed" and rows[0]["output_tokens"] == 99 and rows[0]["cost_usd"] == 0.5
    assert rows[0]["input_preview"] == "x" * 200 and rows[0]["output_preview"] == "y" * 200


def test_api_key_never_reaches_the_database(history_store):
    key = "sk-proj-SECRETSECRETSECRET"
    owner = owner_for(None, key)
    history_store.record_response(
        ResponseRecord(id="r1", owner=owner, model="m", status="completed", conversation_id="c1", input_preview="hi")
    )
    with history_store.engine.connect() as conn:
        dump = repr([conn.execute(select(t)).all() for t in current_metadata.sorted_tables])
    assert owner in dump and key not in dump and "SECRET" not in dump


# -- filters, sorting, paging ---------------------------------------------------------------------


def test_each_filter_narrows_exactly(history_store):
    mine, theirs = seed_records(A), seed_records(B)
    record_all(history_store, mine + theirs)

    def ids(**kw) -> list[str]:
        f = ResponseFilter(owner=A, **kw)
        got = [r["id"] for r in history_store.responses(f, limit=1000)]
        assert history_store.count_responses(f) == len(got)
        assert [r["id"] for r in history_store.iter_responses(f, batch=4)] == got
        return sorted(got)

    def expect(pred) -> list[str]:
        return sorted(r.id for r in mine if pred(r))

    since, until = T0 + timedelta(hours=35), T0 + timedelta(hours=140)
    cases = {
        "all": ({}, lambda r: True),
        "since": ({"since": since}, lambda r: r.created_at >= since),
        "until": ({"until": until}, lambda r: r.created_at < until),
        "range": ({"since": since, "until": until}, lambda r: since <= r.created_at < until),
        "since_is_inclusive": ({"since": mine[5].created_at, "until": mine[6].created_at}, lambda r: r is mine[5]),
        "one_model": ({"models": ("o3",)}, lambda r: r.model == "o3"),
        "two_models": ({"models": ["o3", "gpt-5"]}, lambda r: r.model in ("o3", "gpt-5")),
        "statuses": ({"statuses": ("failed", "cancelled")}, lambda r: r.status in ("failed", "cancelled")),
        "conversation": ({"conversation_id": "conv_A1"}, lambda r: r.conversation_id == "conv_A1"),
        "text_any_case": ({"text": "ROME"}, lambda r: "rome" in r.input_preview.lower()),
        "text_in_output": ({"text": "answer 1"}, lambda r: "answer 1" in r.output_preview),
        "text_unicode_case": ({"text": "üNÏCODE"}, lambda r: "Ünïcode" in r.output_preview),
        "text_percent_literal": ({"text": "100%"}, lambda r: "100%" in r.input_preview),
        "text_underscore_literal": ({"text": "A_B"}, lambda r: "a_b" in r.input_preview.lower()),
        "tool_exact_element": ({"tool": "web_search"}, lambda r: "web_search" in r.tools),
        "tool_second_element": ({"tool": "code_interpreter"}, lambda r: "code_interpreter" in r.tools),
        "tool_no_prefix_match": ({"tool": "web"}, lambda r: False),
        "combined": (
            {"models": ("gpt-5", "gpt-4o"), "statuses": ("completed",), "since": since, "tool": "web_search"},
            lambda r: (
                r.model in ("gpt-5", "gpt-4o")
                and r.status == "completed"
                and r.created_at >= since
                and "web_search" in r.tools
            ),
        ),
    }
    for name, (kw, pred) in cases.items():
        expected = expect(pred)
        assert ids(**kw) == expected, name
        assert expected or name == "tool_no_prefix_match", f"{name}: seed data should exercise the filter"
        assert len(expected) < len(mine) or name == "all", f"{name}: filter should narrow"


def python_order(records: list[ResponseRecord], key: str, descending: bool) -> list[str]:
    """The order the store promises: by `key`, NULLs last either way, ties by id."""

    def value(r: ResponseRecord):
        return r.input_tokens + r.output_tokens if key == "total_tokens" else getattr(r, key)

    present = sorted((r for r in records if value(r) is not None), key=lambda r: (value(r), r.id), reverse=descending)
    missing = sorted((r for r in records if value(r) is None), key=lambda r: r.id, reverse=descending)
    return [r.id for r in present + missing]


def test_paging_returns_exact_slices_in_order(history_store):
    mine = seed_records(A, n=23)
    record_all(history_store, mine + seed_records(B, n=5))
    f = ResponseFilter(owner=A)
    assert history_store.count_responses(f) == 23
    for key in ("created_at", "model", "status", "cost_usd", "latency_ms", "total_tokens", "conversation_id"):
        for descending in (True, False):
            expected = python_order(mine, key, descending)
            pages = [
                [r["id"] for r in history_store.responses(f, limit=5, offset=o, order_by=key, descending=descending)]
                for o in range(0, 25, 5)
            ]
            assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
            assert sum(pages, []) == expected, (key, descending)
    assert history_store.responses(f, limit=5, offset=23) == []
    with pytest.raises(ValueError, match="cannot sort"):
        history_store.responses(f, order_by="owner; DROP TABLE responses")


def test_iter_responses_streams_and_can_stop_early(history_store):
    record_all(history_store, seed_records(A, n=25) + seed_records(B, n=25))
    f = ResponseFilter(owner=A, statuses=("completed",))
    streamed = list(history_store.iter_responses(f, batch=3))
    assert streamed == history_store.responses(f, limit=1000)
    assert len(streamed) == 10 and {r["owner"] for r in streamed} == {A}
    # Abandoning an export half-way must give its connection back (else teardown would hang).
    partial = history_store.iter_responses(ResponseFilter(owner=A), batch=2)
    assert next(partial)["owner"] == A
    partial.close()
    history_store.record_response(ResponseRecord(id="after", owner=A, model="m", status="completed"))


# -- aggregates -----------------------------------------------------------------------------------


def test_daily_usage_latencies_and_totals(history_store):
    mine = seed_records(A, n=20)
    record_all(history_store, mine + seed_records(B, n=20))
    f = ResponseFilter(owner=A, models=("gpt-5", "o3"))
    chosen = [r for r in mine if r.model in ("gpt-5", "o3")]

    expected: dict[tuple[date, str], dict] = {}
    for r in chosen:
        day = r.created_at.astimezone(UTC).date()
        e = expected.setdefault((day, r.model), {"responses": 0, "input_tokens": 0, "output_tokens": 0, "cost": 0.0})
        e["responses"] += 1
        e["input_tokens"] += r.input_tokens
        e["output_tokens"] += r.output_tokens
        e["cost"] += r.cost_usd or 0
    rows = history_store.daily_usage(f)
    assert [(r["day"], r["model"]) for r in rows] == sorted(expected)
    for r in rows:
        e = expected[(r["day"], r["model"])]
        assert (r["responses"], r["input_tokens"], r["output_tokens"]) == (
            e["responses"],
            e["input_tokens"],
            e["output_tokens"],
        )
        assert r["total_tokens"] == e["input_tokens"] + e["output_tokens"]
        assert r["cost_usd"] == pytest.approx(e["cost"])

    newest_first = sorted(chosen, key=lambda r: r.created_at, reverse=True)
    assert history_store.latencies(f) == [r.latency_ms for r in newest_first if r.latency_ms is not None]
    assert history_store.latencies(f, limit=3) == [r.latency_ms for r in newest_first if r.latency_ms is not None][:3]

    totals = history_store.totals(f)
    assert totals["responses"] == len(chosen)
    assert totals["input_tokens"] == sum(r.input_tokens for r in chosen)
    assert totals["cost_usd"] == pytest.approx(sum(r.cost_usd or 0 for r in chosen))


def test_daily_usage_groups_by_utc_day(history_store):
    est = timezone(timedelta(hours=-5))
    history_store.record_response(  # 23:30 in New York is the next day in UTC
        ResponseRecord(
            id="late", owner=A, model="m", status="completed", created_at=datetime(2026, 3, 1, 23, 30, tzinfo=est)
        )
    )
    history_store.record_response(
        ResponseRecord(
            id="early", owner=A, model="m", status="completed", created_at=datetime(2026, 3, 2, 0, 5, tzinfo=UTC)
        )
    )
    rows = history_store.daily_usage(ResponseFilter(owner=A))
    assert [(r["day"], r["responses"]) for r in rows] == [(date(2026, 3, 2), 2)]


def test_distinct_models_and_tools(history_store):
    record_all(history_store, seed_records(A, n=10))
    history_store.record_response(
        ResponseRecord(id="b1", owner=B, model="only-b", status="completed", tools=("image_generation",))
    )
    assert history_store.distinct_models(A) == sorted(MODELS)
    assert history_store.distinct_tools(A) == sorted({t for ts in TOOLS for t in ts})
    assert history_store.distinct_models(B) == ["only-b"]
    assert history_store.distinct_tools(B) == ["image_generation"]


# -- conversations --------------------------------------------------------------------------------


def test_conversations_list_with_aggregates_and_edits(make_store):
    clock = Clock()
    store = make_store(clock=clock)
    mine = seed_records(A, n=12)
    for r in mine:
        clock.advance(minutes=1)
        store.record_response(r)
    convs = store.conversations(A)
    assert [c["id"] for c in convs] == ["conv_A2", "conv_A1", "conv_A0"]  # last used first
    for c in convs:
        turns = [r for r in mine if r.conversation_id == c["id"]]
        assert c["turns"] == len(turns)
        assert c["total_tokens"] == sum(r.input_tokens + r.output_tokens for r in turns)
        assert c["cost_usd"] == pytest.approx(sum(r.cost_usd or 0 for r in turns))
        assert c["model"] == turns[-1].model and c["status"] == "active" and c["owner"] == A
    assert store.count_conversations(A) == 3
    assert [c["id"] for c in store.conversations(A, limit=1, offset=1)] == ["conv_A1"]

    store.upsert_conversation("conv_new", A, title="Fresh", metadata={"topic": "x"})
    assert store.conversation(A, "conv_new")["turns"] == 0
    store.upsert_conversation("conv_A0", A, metadata={"k": "v"})
    assert store.rename_conversation(A, "conv_A0", "Renamed")
    c0 = store.conversation(A, "conv_A0")
    assert (c0["title"], c0["metadata"], c0["turns"]) == ("Renamed", {"k": "v"}, 3)

    assert store.set_conversation_status(A, "conv_A1", "closed")
    assert [c["id"] for c in store.conversations(A, status="closed")] == ["conv_A1"]
    assert store.count_conversations(A, status="active") == 3
    with pytest.raises(ValueError):
        store.set_conversation_status(A, "conv_A1", "archived")

    assert store.delete_conversation(A, "conv_A2")
    assert store.conversation(A, "conv_A2") is None
    assert store.count_responses(ResponseFilter(owner=A, conversation_id="conv_A2")) == 0
    assert store.count_responses(ResponseFilter(owner=A)) == 12 - 3
    assert not store.delete_conversation(A, "conv_A2")


def test_ttl_expires_idle_conversations_and_blocks_new_turns(make_store):
    clock = Clock()
    store = make_store(ttl_minutes=30, clock=clock)
    turn = ResponseRecord(id="t1", owner=A, model="m", status="completed", conversation_id="c1", created_at=T0)
    store.record_response(turn)
    store.record_response(ResponseRecord(id="t0", owner=A, model="m", status="completed", conversation_id="c2"))

    clock.advance(minutes=29)
    assert store.conversation(A, "c1")["status"] == "active"
    store.record_response(replace(turn, id="t2"))  # using it resets the idle clock

    clock.advance(minutes=31)
    assert store.conversation(A, "c1")["status"] == "expired"
    with pytest.raises(ConversationClosed, match="expired after 30 minutes") as err:
        store.record_response(replace(turn, id="t3"))
    assert err.value.conversation_id == "c1" and err.value.status == "expired"
    assert store.response(A, "t3") is None
    store.record_response(replace(turn, id="t2", status="failed"))  # a known turn may still be updated
    assert store.response(A, "t2")["status"] == "failed"

    # Without reading it first: the write itself notices, saves the expiry, and refuses.
    with pytest.raises(ConversationClosed):
        store.record_response(replace(turn, id="t4", conversation_id="c2"))
    assert {c["id"]: c["status"] for c in store.conversations(A)} == {"c1": "expired", "c2": "expired"}

    # A store without TTL never expires anything.
    untimed = make_store(clock=Clock(T0 + timedelta(days=365)))
    untimed.set_conversation_status(A, "c1", "active")
    untimed.record_response(replace(turn, id="t5"))
    assert untimed.conversation(A, "c1")["status"] == "active"


def test_closed_conversation_blocks_until_reopened(history_store):
    turn = ResponseRecord(id="t1", owner=A, model="m", status="completed", conversation_id="c1")
    history_store.record_response(turn)
    assert history_store.set_conversation_status(A, "c1", "closed")
    with pytest.raises(ConversationClosed, match="closed"):
        history_store.record_response(replace(turn, id="t2"))
    before = history_store.conversation(A, "c1")
    history_store.record_response(replace(turn, status="failed"))  # updating a recorded turn is fine
    assert history_store.response(A, "t1")["status"] == "failed"
    assert history_store.conversation(A, "c1") == before  # ... and does not touch the closed conversation
    assert history_store.set_conversation_status(A, "c1", "active")
    history_store.record_response(replace(turn, id="t2"))
    assert history_store.conversation(A, "c1")["turns"] == 2


# -- owner isolation ------------------------------------------------------------------------------


def test_owners_never_see_each_others_rows(history_store):
    s = history_store
    record_all(s, seed_records(A, n=20))
    s.record_response(
        ResponseRecord(
            id="b_only", owner=B, model="b-model", status="completed", conversation_id="conv_b", tools=("mcp",)
        )
    )
    a_ids = {r.id for r in seed_records(A, n=20)}
    fb = ResponseFilter(owner=B)

    assert [r["id"] for r in s.responses(fb, limit=1000)] == ["b_only"]
    assert [r["id"] for r in s.iter_responses(fb)] == ["b_only"]
    assert s.count_responses(fb) == 1
    assert s.count_responses(ResponseFilter(owner=B, conversation_id="conv_A0")) == 0
    assert s.totals(fb)["responses"] == 1
    assert sum(r["responses"] for r in s.daily_usage(fb)) == 1
    assert len(s.latencies(fb)) == 0
    assert s.distinct_models(B) == ["b-model"] and s.distinct_tools(B) == ["mcp"]
    assert [c["id"] for c in s.conversations(B)] == ["conv_b"] and s.count_conversations(B) == 1
    assert s.conversation(B, "conv_b")["turns"] == 1
    for a_id in a_ids:
        assert s.response(B, a_id) is None
    assert s.conversation(B, "conv_A0") is None
    assert not s.delete_response(B, "resp_A000")
    assert not s.rename_conversation(B, "conv_A0", "mine now")
    assert not s.set_conversation_status(B, "conv_A0", "closed")
    assert not s.delete_conversation(B, "conv_A0")
    with pytest.raises(OwnershipError):  # B cannot overwrite A's response ...
        s.record_response(ResponseRecord(id="resp_A000", owner=B, model="x", status="failed"))
    with pytest.raises(OwnershipError):  # ... nor write into A's conversation
        s.record_response(ResponseRecord(id="b2", owner=B, model="x", status="completed", conversation_id="conv_A0"))
    with pytest.raises(OwnershipError):
        s.upsert_conversation("conv_A0", B, title="mine now")

    # A's data is untouched by all of the above.
    assert {r["id"] for r in s.iter_responses(ResponseFilter(owner=A))} == a_ids
    a0 = s.conversation(A, "conv_A0")
    assert (a0["title"], a0["status"], a0["turns"]) == (None, "active", 5)
    assert s.response(A, "resp_A000")["model"] == "gpt-5"
    assert s.response(B, "b2") is None
    assert s.delete_response(A, "resp_A000") and s.response(A, "resp_A000") is None


# -- migrations -----------------------------------------------------------------------------------


def test_migrations_are_idempotent_and_match_the_schema(make_store):
    first = make_store()
    first.record_response(ResponseRecord(id="kept", owner=A, model="m", status="completed", conversation_id="c"))
    again = make_store()
    make_store()
    assert again.response(A, "kept") is not None
    with again.engine.connect() as conn:
        assert conn.execute(select(schema_version.c.version)).scalars().all() == VERSIONS
        found = inspect(conn)
        for table in ("conversations", "responses", "profiles", "spend"):
            assert {c["name"] for c in found.get_columns(table)} == set(current_metadata.tables[table].c.keys())
            want = {ix.name for ix in current_metadata.tables[table].indexes}
            assert want <= {ix["name"] for ix in found.get_indexes(table)}


def test_concurrent_start_up_migrates_once(make_store):
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        try:
            barrier.wait()
            make_store()
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with make_store().engine.connect() as conn:
        assert conn.execute(select(schema_version.c.version)).scalars().all() == VERSIONS


def test_a_newer_database_is_refused(make_store, store_url):
    with make_store().engine.begin() as conn:
        conn.execute(schema_version.insert().values(version=99, name="future", applied_at=T0))
    with pytest.raises(RuntimeError, match="newer than this app"):
        HistoryStore(store_url)


# -- concurrency and crashes ----------------------------------------------------------------------


def test_twenty_threads_write_a_thousand_rows(history_store):
    errors: list[BaseException] = []
    barrier = threading.Barrier(20)

    def writer(t: int) -> None:
        try:
            barrier.wait()
            for i in range(50):
                # Half the writes share four conversations, so writers race on the same rows.
                conv = f"shared_{i % 4}" if i % 2 else None
                history_store.record_response(
                    ResponseRecord(id=f"t{t:02d}_{i:02d}", owner=A, model="m", status="completed", conversation_id=conv)
                )
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [repr(e) for e in errors] == []
    assert history_store.count_responses(ResponseFilter(owner=A)) == 1000
    assert sum(c["turns"] for c in history_store.conversations(A)) == 500


PROCESS_WRITER = """
import sys
from lib.store import HistoryStore, ResponseRecord
url, tag = sys.argv[1], sys.argv[2]
store = HistoryStore(url)  # the processes start together: they also race to migrate
for i in range(100):
    conv = f"shared_{i % 3}" if i % 2 else None
    store.record_response(
        ResponseRecord(id=f"{tag}_{i:03d}", owner="key:x", model="m", status="completed", conversation_id=conv)
    )
store.close()
"""


def test_sqlite_processes_start_and_write_at_once(tmp_path):
    # In-process writers queue on a lock; separate processes rely on BEGIN IMMEDIATE and
    # busy_timeout alone. (PostgreSQL needs no such test: its locks do not care whether
    # the connections share a process, and the thread tests cover them.)
    url = f"sqlite:///{tmp_path / 'history.db'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", PROCESS_WRITER, url, f"p{n}"], env=env, stderr=subprocess.PIPE)
        for n in range(2)
    ]
    errors = [p.communicate(timeout=60)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    store = HistoryStore(url)
    try:
        assert store.count_responses(ResponseFilter(owner="key:x")) == 200
        assert sum(c["turns"] for c in store.conversations("key:x")) == 100
        with store.engine.connect() as conn:
            assert conn.execute(select(schema_version.c.version)).scalars().all() == VERSIONS
    finally:
        store.close()


WRITER = """
import sys
from lib.store import HistoryStore, ResponseRecord
store = HistoryStore(sys.argv[1])
i = 0
while True:
    store.record_response(ResponseRecord(
        id=f"r{i:07d}", owner="key:x", model="m", status="completed",
        conversation_id=f"c{i % 5}", input_preview="x" * 200, output_preview="y" * 200, tools=("web_search",),
    ))
    print(i, flush=True)
    i += 1
"""


def test_sqlite_survives_sigkill_mid_write(tmp_path):
    url = f"sqlite:///{tmp_path / 'history.db'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE, env=env, text=True)
    committed = -1
    try:
        for line in proc.stdout:
            committed = int(line)
            if committed >= 300:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL and committed >= 300

    with sqlite3.connect(tmp_path / "history.db") as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        ids = {row[0] for row in raw.execute("SELECT id FROM responses")}
    assert {f"r{i:07d}" for i in range(committed + 1)} <= ids
    store = HistoryStore(url)
    try:
        assert store.count_responses(ResponseFilter(owner="key:x")) == len(ids)
        store.record_response(ResponseRecord(id="after", owner="key:x", model="m", status="completed"))
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        store.close()


def test_postgres_fixture_isolates_schemas():
    with postgres_schema_url() as one, postgres_schema_url() as two:
        first, second = HistoryStore(one), HistoryStore(two)
        try:
            first.record_response(ResponseRecord(id="only-in-one", owner=A, model="m", status="completed"))
            assert second.count_responses(ResponseFilter(owner=A)) == 0
            assert first.count_responses(ResponseFilter(owner=A)) == 1
        finally:
            first.close()
            second.close()
