"""Eval datasets, rows, runs and results in the history store: owner-scoped, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from lib.store import HistoryStore
from lib.store.evals import EvalStoreError
from tests.db import history_store, store_url  # noqa: F401 - fixtures


def test_dataset_rows_add_edit_and_order(history_store: HistoryStore) -> None:  # noqa: F811
    evals = history_store.evals
    ds = evals.create_dataset("me", "  Capitals ")
    added = evals.add_rows(
        "me",
        ds,
        [
            {"input": "Capital of France?", "expected": "Paris", "source_response_id": "resp_1"},
            {"input": "   ", "expected": "skipped: no input"},
            {"input": "Capital of Italy?", "expected": float("nan"), "notes": " city "},
        ],
    )
    assert added == 2
    rows = evals.rows("me", ds)
    assert [(r["input"], r["expected"], r["notes"], r["source_response_id"]) for r in rows] == [
        ("Capital of France?", "Paris", None, "resp_1"),
        ("Capital of Italy?", None, "city", None),
    ]
    # An edited table: the second row changed and moved first, the first deleted, one new row.
    edited = [{**rows[1], "expected": "Rome"}, {"input": "Capital of Spain?", "expected": "Madrid"}]
    assert evals.replace_rows("me", ds, edited) == 2
    after = evals.rows("me", ds)
    assert after[0]["id"] == rows[1]["id"] and after[0]["expected"] == "Rome"
    assert after[1]["input"] == "Capital of Spain?"
    assert [(d["name"], d["rows"]) for d in evals.datasets("me")] == [("Capitals", 2)]
    assert evals.dataset_id("me", "Capitals") == ds


def test_names_are_unique_per_owner_and_anonymous_keeps_nothing(history_store: HistoryStore) -> None:  # noqa: F811
    evals = history_store.evals
    evals.create_dataset("me", "Set")
    with pytest.raises(EvalStoreError, match="already have"):
        evals.create_dataset("me", "Set")
    evals.create_dataset("them", "Set")  # another owner's namespace
    with pytest.raises(EvalStoreError, match="needs a name"):
        evals.create_dataset("me", " ")
    with pytest.raises(EvalStoreError, match="signed-in"):
        evals.create_dataset("anon:session", "Mine")


def test_runs_and_results(history_store: HistoryStore) -> None:  # noqa: F811
    evals = history_store.evals
    ds = evals.create_dataset("me", "Set")
    evals.add_rows("me", ds, [{"input": "a"}, {"input": "b"}])
    row_a, row_b = (r["id"] for r in evals.rows("me", ds))
    run = evals.create_run("me", ds, "first", {"profiles": [{"name": "p1"}], "graders": []})
    verdicts = [{"grader": "exact", "passed": True, "score": 1.0, "reasoning": ""}]
    evals.save_result(
        "me",
        run,
        row_a,
        "p1",
        {
            "status": "completed",
            "output": "A",
            "verdicts": verdicts,
            "passed": 1,
            "score": 1.0,
            "input_tokens": 5,
            "output_tokens": 2,
            "cost_usd": 0.001,
            "latency_ms": 120,
            "response_id": "resp_a",
        },
    )
    evals.save_result("me", run, row_b, "p1", {"status": "failed", "error": "boom"})
    evals.save_result(
        "me", run, row_a, "p1", {"status": "completed", "output": "A2", "verdicts": verdicts, "passed": 1, "score": 1.0}
    )  # a retried row replaces its result
    results = evals.results("me", run)
    assert [(r["row_id"], r["output"], r["status"], r["verdicts"]) for r in results] == [
        (row_a, "A2", "completed", verdicts),
        (row_b, "", "failed", []),
    ]
    assert evals.set_run_status("me", run, "done")
    assert [(r["id"], r["status"], r["dataset"]) for r in evals.runs("me")] == [(run, "done", "Set")]
    assert evals.delete_dataset("me", ds)
    assert evals.runs("me") == [] and evals.results("me", run) == []


def test_another_owners_dataset_and_run_are_out_of_reach(history_store: HistoryStore) -> None:  # noqa: F811
    evals = history_store.evals
    theirs = evals.create_dataset("them", "Secret prompts")
    evals.add_rows("them", theirs, [{"input": "the merger plan"}])
    run = evals.create_run("them", theirs, "r", {})
    row = evals.rows("them", theirs)[0]["id"]
    assert evals.dataset("me", theirs) is None and evals.rows("me", theirs) == []
    assert evals.datasets("me") == [] and evals.runs("me") == [] and evals.run("me", run) is None
    for attempt in (
        lambda: evals.add_rows("me", theirs, [{"input": "x"}]),
        lambda: evals.replace_rows("me", theirs, []),
        lambda: evals.create_run("me", theirs, "mine now", {}),
        lambda: evals.save_result("me", run, row, "p", {"status": "completed", "output": "planted"}),
    ):
        with pytest.raises(EvalStoreError, match="No such"):
            attempt()
    assert not evals.delete_dataset("me", theirs) and not evals.delete_run("me", run)
    assert not evals.set_run_status("me", run, "stopped")
    assert evals.results("me", run) == []
    assert [r["input"] for r in evals.rows("them", theirs)] == ["the merger plan"]
    assert evals.run("them", run)["status"] == "running"
