"""Benchmark: an eval run of a 500-row dataset against the double, and the Evals page's rerun time while it runs.

(a) `lib.eval_run.EvalJob` alone: 500 rows × 1 target with exact + regex graders at 1, 4 and 8 rows in flight,
and 500 rows with a model-graded rubric (one judge request per row) at 4: rows per second and wall time.
(b) The Evals page in AppTest (Runs tab, results of the run shown): rerun time idle, and while a 500-row run is
in flight in the session's worker threads; median and p95 of 20 reruns each.
The double runs in this process (its HTTP server threads share the GIL with the run): figures are pessimistic.

Run on demand (not part of the default run), about 1 minute:
    uv run python -m tests.bench.bench_evals
Prints figures and ratios; asserts no timing.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from openai import OpenAI
from streamlit.testing.v1 import AppTest

from lib.eval_run import EvalJob, Target
from lib.graders import Grader
from lib.settings import Settings
from lib.store import HistoryStore, owner_for
from lib.ui import evals_runs
from tests import eval_double
from tests.bench.support import load, median, p95
from tests.fake_openai import FakeOpenAI

ROWS = 500
KEY = "sk-bench-evals-key-0001"
ROOT = Path(__file__).resolve().parents[2]


def dataset_rows() -> list[dict[str, str]]:
    countries = list(eval_double.CAPITALS)
    return [
        {
            "input": f"{eval_double.question(countries[n % len(countries)])} (#{n})",
            "expected": eval_double.CAPITALS[countries[n % len(countries)]],
        }
        for n in range(ROWS)
    ]


def run_job(
    store: HistoryStore, owner: str, dataset: int, fake: FakeOpenAI, checks: list[Grader], concurrency: int
) -> float:
    rows = store.evals.rows(owner, dataset)
    base = Settings(api_key=KEY, base_url=fake.base_url, model="gpt-4.1-mini", instructions=eval_double.TERSE)
    client = OpenAI(api_key=KEY, base_url=fake.base_url, max_retries=0)
    run = store.evals.create_run(owner, dataset, f"bench {concurrency}", {})
    started = time.perf_counter()
    job = EvalJob(
        store.evals, owner, run, rows, [Target("terse", base)], checks, lambda _s: client, concurrency=concurrency
    ).start()
    assert job.wait(600)
    wall = time.perf_counter() - started
    results = store.evals.results(owner, run)
    assert len(results) == ROWS and all(r["passed"] for r in results), "every row answered and graded"
    return wall


def page_reruns(data: Path, fake: FakeOpenAI, dataset: int) -> tuple[list[float], list[float], int]:
    os.environ.update(
        {
            "OPENAI_API_KEY": KEY,
            "OPENAI_BASE_URL": fake.base_url,
            "OPENAI_MODEL": "gpt-4.1-mini",
            "HISTORY_DATABASE_URL": f"sqlite:///{data / 'history.db'}",
        }
    )
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60)
    at.session_state["evals_tab"] = "Runs"
    at.switch_page("app_pages/evals.py")
    at.run()

    def timed(count: int) -> list[float]:
        out = []
        for _ in range(count):
            started = time.perf_counter()
            at.run()
            out.append(time.perf_counter() - started)
        return out

    idle = timed(20)
    next(b for b in at.button if b.label == "Start run").click().run()
    job = at.session_state[evals_runs.JOB]
    busy = timed(20)
    finished_during = job.finished
    job.stop()
    job.wait(60)
    assert not at.exception
    return idle, busy, finished_during


def main() -> None:
    print(f"load before: {load()}")
    owner = owner_for(None, KEY)
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI() as fake:
        data = Path(tmp)
        fake.respond(eval_double.answer)
        store = HistoryStore(f"sqlite:///{data / 'history.db'}")
        dataset = store.evals.create_dataset(owner, "Bench")
        store.evals.add_rows(owner, dataset, dataset_rows())
        fast = [Grader("exact"), Grader("regex", value=r"^[A-Z][a-z]+$")]
        for concurrency in (1, 4, 8):
            wall = run_job(store, owner, dataset, fake, fast, concurrency)
            print(f"(a) {ROWS} rows, exact+regex, {concurrency} in flight: {wall:.1f} s, {ROWS / wall:.0f} rows/s")
        judge = [Grader("model", judge_model="gpt-5-mini", rubric="Names the capital.")]
        wall = run_job(store, owner, dataset, fake, judge, 4)
        print(
            f"(a) {ROWS} rows, model-graded (2 requests per row), 4 in flight: {wall:.1f} s, {ROWS / wall:.0f} rows/s"
        )
        idle, busy, done = page_reruns(data, fake, dataset)
        print(f"(b) Evals page rerun, idle: median {median(idle) * 1000:.0f} ms, p95 {p95(idle) * 1000:.0f} ms")
        print(
            f"(b) while a {ROWS}-row run is in flight ({done} rows finished during the 20 reruns): "
            f"median {median(busy) * 1000:.0f} ms, p95 {p95(busy) * 1000:.0f} ms, "
            f"ratio {median(busy) / median(idle):.2f}x"
        )
        store.close()
    print(f"load after: {load()}")


def test_bench_evals() -> None:
    main()


if __name__ == "__main__":
    main()
