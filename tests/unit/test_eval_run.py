"""An eval run against the double: rows × targets in worker threads, graded, stored, stopped and resumed."""

from __future__ import annotations

import threading

from openai import OpenAI

from lib import eval_report
from lib.eval_cost import estimate
from lib.eval_run import EvalJob, Target
from lib.graders import Grader
from lib.settings import Settings
from lib.store import HistoryStore
from tests import eval_double
from tests.fake_openai import FakeOpenAI, Text
from tests.fake_openai.tokens import request_tokens


def setup(tmp_path, fake: FakeOpenAI, countries: list[str] | None = None):  # noqa: ANN201
    store = HistoryStore(f"sqlite:///{tmp_path / 'h.db'}")
    ds = store.evals.create_dataset("me", "Capitals")
    store.evals.add_rows("me", ds, eval_double.rows(countries))
    base = Settings(api_key="sk-test-key-000000", base_url=fake.base_url, model="gpt-4.1-mini")
    targets = [Target("terse", base.with_changes(instructions=eval_double.TERSE)), Target("chatty", base)]
    client = OpenAI(api_key=base.api_key, base_url=fake.base_url, max_retries=0)
    return store, ds, targets, (lambda _settings: client)


CHECKS = [
    Grader("exact"),
    Grader("regex", value=r"\b[A-Z][a-z]+\b"),
    Grader("model", judge_model="gpt-5-mini", rubric="Names the right capital.", threshold=0.5),
]


def test_two_targets_three_graders(tmp_path, fake_openai: FakeOpenAI) -> None:
    fake_openai.respond(eval_double.answer)
    store, ds, targets, client = setup(tmp_path, fake_openai)
    rows = store.evals.rows("me", ds)
    run = store.evals.create_run("me", ds, "first", {})
    job = EvalJob(store.evals, "me", run, rows, targets, CHECKS, client, concurrency=3).start()
    assert job.wait(30)
    results = store.evals.results("me", run)
    assert len(results) == 12 and store.evals.run("me", run)["status"] == "done"
    by = {(r["row_id"], r["profile"]): r for r in results}
    japan = next(r["id"] for r in rows if "Japan" in r["input"])
    assert by[(japan, "terse")]["output"] == "Tokyo" and by[(japan, "terse")]["passed"] == 1
    chatty = by[(japan, "chatty")]
    assert chatty["output"] == "The capital of Japan is Kyoto." and chatty["passed"] == 0
    assert [(v["grader"], v["passed"]) for v in chatty["verdicts"]] == [
        ("exact", False),
        (r"regex:\b[A-Z][a-z]+\b", True),
        ("model:gpt-5-mini", False),
    ]
    assert chatty["verdicts"][2]["reasoning"] == "Does not name Tokyo." and chatty["verdicts"][2]["score"] == 0.1
    summary = {s["profile"]: s for s in eval_report.summary(results)}
    assert (summary["terse"]["passed"], summary["chatty"]["passed"]) == (6, 0)  # chatty never matches exactly
    assert summary["terse"]["pass_rate"] == 1.0
    # Each row went out once per target as a fresh, conversation-less response; each answer was judged once.
    bodies = fake_openai.response_requests()
    sent = [b for b in bodies if "text" not in b]
    judged = [b for b in bodies if "text" in b]
    assert len(sent) == 12 and len(judged) == 12
    assert all("conversation" not in b and "previous_response_id" not in b for b in sent)
    assert all(b["text"]["format"]["schema"]["required"] == ["score", "reasoning"] for b in judged)
    assert not [r for r in fake_openai.requests if r.path.endswith("/conversations")]


def test_stop_then_resume_sends_only_what_is_missing(tmp_path, fake_openai: FakeOpenAI) -> None:
    store, ds, targets, client = setup(tmp_path, fake_openai)
    release = threading.Event()

    def slow(body):  # noqa: ANN001, ANN202 - the first two answers come at once, the rest wait for the test
        if len([b for b in fake_openai.response_requests()]) > 2:
            release.wait(10)
        return eval_double.answer(body)

    fake_openai.respond(slow)
    rows = store.evals.rows("me", ds)
    run = store.evals.create_run("me", ds, "stopped", {})
    job = EvalJob(store.evals, "me", run, rows, targets[:1], [Grader("exact")], client, concurrency=1).start()
    while job.finished < 2:
        job.wait(0.02)
    job.stop()
    release.set()
    assert job.wait(15)
    kept = store.evals.results("me", run)
    assert store.evals.run("me", run)["status"] == "stopped" and 2 <= len(kept) < 6
    done = {(r["row_id"], r["profile"]) for r in kept}
    before = len(fake_openai.response_requests())
    resumed = EvalJob(store.evals, "me", run, rows, targets[:1], [Grader("exact")], client, done=done).start()
    assert resumed.wait(30)
    assert len(store.evals.results("me", run)) == 6 and store.evals.run("me", run)["status"] == "done"
    assert len(fake_openai.response_requests()) - before == 6 - len(kept)  # nothing sent twice


def test_a_failing_row_is_retried_then_recorded_as_an_error(tmp_path, fake_openai: FakeOpenAI) -> None:
    from tests.fake_openai import Error

    store, ds, targets, client = setup(tmp_path, fake_openai, ["France"])
    limit = Error(429, "Rate limit reached", code="rate_limit_exceeded", headers={"retry-after-ms": "1"})
    fake_openai.queue(limit, Text("Paris"))
    rows = store.evals.rows("me", ds)
    run = store.evals.create_run("me", ds, "r", {})
    assert EvalJob(store.evals, "me", run, rows, targets[:1], [Grader("exact")], client).start().wait(15)
    assert [(r["output"], r["passed"]) for r in store.evals.results("me", run)] == [("Paris", 1)]
    fake_openai.queue(Error(400, "Bad request", code="invalid_value"))
    run2 = store.evals.create_run("me", ds, "r2", {})
    assert EvalJob(store.evals, "me", run2, rows, targets[:1], [Grader("exact")], client).start().wait(15)
    (failed,) = store.evals.results("me", run2)
    assert failed["status"] == "failed" and failed["passed"] == 0 and "Bad request" in failed["error"]


def test_estimate_counts_input_with_the_api(tmp_path, fake_openai: FakeOpenAI) -> None:
    store, ds, targets, client = setup(tmp_path, fake_openai)
    rows = store.evals.rows("me", ds)
    guess = estimate(client, rows, targets[:1], [])
    assert guess.counted and "counted by the API" in guess.label
    counted = [r for r in fake_openai.requests if r.path == "/v1/responses/input_tokens"]
    assert len(counted) == len(rows)  # fewer than COUNT_SAMPLE rows: each counted once
    # The double counts as /responses/input_tokens does for the chat's meter (tests/fake_openai/tokens.py).
    bodies = [{"instructions": eval_double.TERSE, "input": r["input"]} for r in rows]
    assert guess.input_tokens == sum(request_tokens(b, []) for b in bodies) and guess.output_tokens == 400 * len(rows)
    assert counted[0].body == {"model": "gpt-4.1-mini", "input": rows[0]["input"], "instructions": eval_double.TERSE}


def test_estimate_falls_back_to_characters_and_says_so(tmp_path, fake_openai: FakeOpenAI) -> None:
    store, ds, targets, _client = setup(tmp_path, fake_openai)
    # A server without the count endpoint (an OpenAI-compatible one): every path under this base is a 404.
    bare = OpenAI(api_key="sk-test-key-000000", base_url=fake_openai.base_url + "/none", max_retries=0)
    rows = store.evals.rows("me", ds)
    guess = estimate(lambda _s: bare, rows, targets, CHECKS)
    assert not guess.counted and "estimated from characters" in guess.label
    assert guess.usd is not None and guess.usd > 0 and guess.input_tokens > 0


def test_rows_on_the_owners_key_count_against_the_cap_and_stop_the_run(tmp_path, fake_openai: FakeOpenAI) -> None:
    from lib.budget import BudgetConfig, period
    from lib.eval_cost import Admission

    usage = {"input_tokens": 1000, "output_tokens": 1000, "total_tokens": 2000}
    fake_openai.respond(lambda body: Text("Paris", usage=usage))
    store, ds, targets, client = setup(tmp_path, fake_openai)
    rows = store.evals.rows("me", ds)
    # gpt-4.1-mini: $0.0004 in + $0.0016 out per 1k tokens = $0.002 a row; a worst case (1k output) fits twice.
    admission = Admission(store.spend, "visitor@example.com", BudgetConfig(cap_usd=0.005, max_output_tokens=1000))
    assert admission.refusal(targets[1].settings, 1.0) is not None  # the estimate alone is too much: refused
    run = store.evals.create_run("me", ds, "capped", {})
    job = EvalJob(
        store.evals, "me", run, rows, targets[1:], [Grader("exact")], client, concurrency=1, admission=admission
    ).start()
    assert job.wait(30)
    kept = store.evals.results("me", run)
    assert 1 <= len(kept) < 6 and store.evals.run("me", run)["status"] == "stopped"
    assert job.note is not None and "budget" in job.note
    spent = store.spend.spent("visitor@example.com", period())
    assert abs(spent - sum(r["cost_usd"] for r in kept)) < 1e-8  # reservations settled to the real cost (nano-$)
    assert len(fake_openai.response_requests()) == len(kept)  # no row sent past the cap


def test_rows_from_history_take_the_whole_prompt_where_the_api_has_it(fake_openai: FakeOpenAI) -> None:
    from lib.eval_sources import with_full_inputs
    from lib.store import PREVIEW_CHARS

    client = OpenAI(api_key="sk-test-key-000000", base_url=fake_openai.base_url, max_retries=0)
    whole = "Tell me" + " much more" * 40
    kept = client.responses.create(model="gpt-5-mini", input=whole)
    rows = [
        {"input": whole[:PREVIEW_CHARS], "source_response_id": kept.id},
        {"input": whole[:PREVIEW_CHARS], "source_response_id": "resp_gone"},
        {"input": "short", "source_response_id": "resp_short"},
    ]
    out, cut = with_full_inputs(client, rows)
    assert [r["input"] for r in out] == [whole, whole[:PREVIEW_CHARS], "short"] and cut == 1
    asked = [r.path for r in fake_openai.requests if r.method == "GET"]
    assert asked == [f"/v1/responses/{kept.id}/input_items", "/v1/responses/resp_gone/input_items"]


def test_a_run_stops_when_its_page_is_gone(tmp_path, fake_openai: FakeOpenAI) -> None:
    from lib.eval_run import PAGE_GONE

    fake_openai.respond(eval_double.answer)
    store, ds, targets, client = setup(tmp_path, fake_openai)
    rows = store.evals.rows("me", ds)
    run = store.evals.create_run("me", ds, "tab closed", {})
    job = EvalJob(
        store.evals,
        "me",
        run,
        rows,
        targets[:1],
        [Grader("exact")],
        client,
        concurrency=1,
        alive=lambda: len(store.evals.results("me", run)) < 2,
    )  # the tab closes after two rows
    assert job.start().wait(15)
    assert len(store.evals.results("me", run)) == 2 and store.evals.run("me", run)["status"] == "stopped"
    assert job.note == PAGE_GONE
    assert len(fake_openai.response_requests()) == 2  # no row sent after the page went
