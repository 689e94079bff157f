"""CSV and JSON exports: exactly the filtered rows, streamed row by row, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import types
from datetime import UTC, datetime, timedelta

from lib.export import FIELDS, as_bytes, csv_chunks, json_chunks
from lib.store import HistoryStore, ResponseFilter, ResponseRecord, owner_for

ALICE = owner_for("alice@example.com", None)
BOB = owner_for(None, "sk-bob-0001")
START = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
AWKWARD = 'He said "hi", then left;\nnew line, ünïcödé ✓'


def seed(store: HistoryStore) -> None:
    rows = [
        ResponseRecord(
            id="resp_a1",
            owner=ALICE,
            model="gpt-5-mini",
            status="completed",
            created_at=START,
            conversation_id="conv_a",
            input_tokens=10,
            cached_tokens=2,
            output_tokens=5,
            cost_usd=0.0012,
            latency_ms=900,
            ttft_ms=200,
            tools=("web_search_call", "function_call"),
            input_preview=AWKWARD,
            output_preview='=HYPERLINK("http://x")',
        ),
        ResponseRecord(
            id="resp_a2",
            owner=ALICE,
            model="o4-mini",
            status="failed",
            created_at=START + timedelta(hours=1),
            error="Rate limited",
            input_preview="plain",
            output_preview="",
        ),
        ResponseRecord(
            id="resp_a3",
            owner=ALICE,
            model="gpt-5-mini",
            status="incomplete",
            created_at=START + timedelta(hours=2),
            input_preview="-1 + 2",
            output_preview="3",
        ),
        ResponseRecord(
            id="resp_b1",
            owner=BOB,
            model="gpt-5-mini",
            status="completed",
            created_at=START,
            input_preview="bob's secret",
            output_preview="for bob only",
        ),
    ]
    for row in rows:
        store.record_response(row)


def parsed_csv(store: HistoryStore, f: ResponseFilter) -> list[dict[str, str]]:
    text = as_bytes(csv_chunks(store.iter_responses(f))).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_holds_exactly_the_filtered_rows(history_store: HistoryStore) -> None:
    seed(history_store)
    rows = parsed_csv(history_store, ResponseFilter(owner=ALICE, models=("gpt-5-mini",)))
    assert [r["id"] for r in rows] == ["resp_a3", "resp_a1"]  # the store's order: newest first
    assert all("bob" not in value for r in rows for value in r.values())
    assert parsed_csv(history_store, ResponseFilter(owner=BOB))[0]["id"] == "resp_b1"
    assert parsed_csv(history_store, ResponseFilter(owner=ALICE, statuses=("cancelled",))) == []


def test_csv_header_quoting_and_values(history_store: HistoryStore) -> None:
    seed(history_store)
    text = as_bytes(csv_chunks(history_store.iter_responses(ResponseFilter(owner=ALICE)))).decode()
    assert text.splitlines()[0] == ",".join(FIELDS) and "owner" not in FIELDS
    first = {r["id"]: r for r in csv.DictReader(io.StringIO(text, newline=""))}["resp_a1"]
    assert first["input_preview"] == AWKWARD  # commas, quotes and a newline survive the round trip
    assert first["output_preview"] == '\'=HYPERLINK("http://x")'  # never run as a spreadsheet formula
    assert first["tools"] == "web_search_call;function_call"
    assert first["created_at"] == "2026-05-01T09:30:00+00:00"
    assert (first["input_tokens"], first["cost_usd"], first["latency_ms"]) == ("10", "0.0012", "900")
    failed = {r["id"]: r for r in csv.DictReader(io.StringIO(text, newline=""))}["resp_a2"]
    assert failed["cost_usd"] == "" and failed["error"] == "Rate limited" and failed["conversation_id"] == ""
    negative_looking = {r["id"]: r for r in csv.DictReader(io.StringIO(text, newline=""))}["resp_a3"]
    assert negative_looking["input_preview"] == "'-1 + 2"


def test_json_holds_exactly_the_filtered_rows(history_store: HistoryStore) -> None:
    seed(history_store)
    f = ResponseFilter(owner=ALICE, since=START + timedelta(minutes=30))
    data = json.loads(as_bytes(json_chunks(history_store.iter_responses(f))))
    assert [r["id"] for r in data] == ["resp_a3", "resp_a2"]
    assert set(data[0]) == set(FIELDS)
    everything = json.loads(as_bytes(json_chunks(history_store.iter_responses(ResponseFilter(owner=ALICE)))))
    first = everything[-1]
    assert first["input_preview"] == AWKWARD and first["tools"] == ["web_search_call", "function_call"]
    assert first["created_at"] == "2026-05-01T09:30:00+00:00" and first["cost_usd"] == 0.0012
    assert json.loads(as_bytes(json_chunks(history_store.iter_responses(ResponseFilter(owner="nobody"))))) == []


def test_exports_are_generators_that_pull_rows_one_at_a_time() -> None:
    pulled: list[int] = []

    def rows():
        for n in range(3):
            pulled.append(n)
            yield {"id": f"resp_{n}", "created_at": START, "tools": []}

    for chunks in (csv_chunks(rows()), json_chunks(rows())):
        pulled.clear()
        assert isinstance(chunks, types.GeneratorType)
        next(chunks)  # the header (or "[") needs no row
        assert pulled == []
        next(chunks)
        assert pulled == [0]
        assert len(list(chunks)) >= 2 and pulled == [0, 1, 2]
