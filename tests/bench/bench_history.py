"""Benchmark of the History page: 100,000 responses against 1,000, and the memory it keeps.

Run on demand (not part of the default run):
    uv run python -m tests.bench.bench_history
    uv run pytest -o addopts="" tests/bench/bench_history.py -s
BENCH_POSTGRES=1 measures on the test PostgreSQL (tests/db.py; a new schema per store) instead of SQLite.
"""

from __future__ import annotations

import gc
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from lib.store import HistoryStore, ResponseFilter, owner_for
from lib.store.schema import conversations, responses

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-bench-history-0001"
OTHER_KEY = "sk-bench-someone-else"
MODELS = ("gpt-5-mini", "gpt-4.1-mini", "o4-mini", "gpt-5")
STATUSES = ("completed",) * 17 + ("incomplete", "failed", "cancelled")
TOOLS = ((), (), ("web_search_call",), ("file_search_call",), ("function_call",), ("web_search_call", "function_call"))
WORDS = "the quick brown fox jumps over a lazy dog while seven wizards quietly judge boxing matches".split()
RUNS = 5  # timed runs of each measurement; the median is reported


def seed(store: HistoryStore, total: int, conversation_count: int, owner: str, *, days: int = 90) -> None:
    """Bulk insert `total` responses over `conversation_count` conversations, spread over `days`."""
    rng = random.Random(total)
    now = datetime.now(UTC)
    start = now - timedelta(days=days)
    conv_rows = [
        {
            "id": f"conv_{owner[-6:]}_{n:05d}",
            "owner": owner,
            "title": " ".join(rng.choices(WORDS, k=5)),
            "model": rng.choice(MODELS),
            "status": "active",
            "metadata": {},
            "created_at": start,
            "updated_at": now,
            "last_used_at": start + timedelta(seconds=rng.randrange(days * 86400)),
        }
        for n in range(conversation_count)
    ]
    with store.engine.begin() as conn:
        conn.execute(insert(conversations), conv_rows)
        batch: list[dict[str, Any]] = []
        for n in range(total):
            input_tokens, output_tokens = rng.randrange(20, 4000), rng.randrange(5, 1500)
            batch.append(
                {
                    "id": f"resp_{owner[-6:]}_{n:07d}",
                    "conversation_id": conv_rows[n % conversation_count]["id"],
                    "previous_response_id": None,
                    "owner": owner,
                    "model": rng.choice(MODELS),
                    "status": rng.choice(STATUSES),
                    "input_tokens": input_tokens,
                    "cached_tokens": input_tokens // 3,
                    "output_tokens": output_tokens,
                    "reasoning_tokens": output_tokens // 4,
                    "cost_usd": (input_tokens * 0.25 + output_tokens * 2) / 1e6,
                    "latency_ms": rng.randrange(300, 20_000),
                    "ttft_ms": rng.randrange(100, 3000),
                    "tools": list(rng.choice(TOOLS)),
                    "input_preview": " ".join(rng.choices(WORDS, k=12)),
                    "output_preview": " ".join(rng.choices(WORDS, k=30)),
                    "error": None,
                    "created_at": start + timedelta(seconds=rng.randrange(days * 86400)),
                }
            )
            if len(batch) == 5000:
                conn.execute(insert(responses), batch)
                batch.clear()
        if batch:
            conn.execute(insert(responses), batch)


@contextmanager
def app_environment(url: str, base_url: str):
    """The environment the app reads, pointed at this database and the double."""
    names = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "HISTORY_DATABASE_URL")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(OPENAI_API_KEY=KEY, OPENAI_BASE_URL=base_url, OPENAI_MODEL="gpt-5-mini", HISTORY_DATABASE_URL=url)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


_components: list[Any] = []  # AppTest scans installed packages for components on its first run: once is enough


def open_history():
    """A fresh session on the History page, not yet run; the process-wide data cache emptied."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    # Outside a server, clearing warns about the missing runtime (and AppTest resets log levels each run).
    logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)
    st.cache_data.clear()  # a first visit pays for every aggregate, as after a new response
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    if _components:
        at._bidi_component_manager = _components[0]  # noqa: SLF001 - benchmark only: skip the rescan
    at.switch_page("app_pages/history.py")
    return at


def run_page(at):
    """Run the session and keep AppTest's component registry for the next fresh session."""
    at.run()
    if not _components and at._bidi_component_manager is not None:  # noqa: SLF001
        _components.append(at._bidi_component_manager)  # noqa: SLF001
    return at


def timed(action) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def first_page() -> float:
    """Seconds for a new session's first run of the page."""
    seconds, at = timed(lambda: run_page(open_history()))
    assert not at.exception, at.exception
    assert at.dataframe, "the table was not drawn"
    return seconds


def next_page() -> float:
    """Seconds for the run after "Next": same filter, so the aggregates come from the cache."""
    at = run_page(open_history())
    seconds, at = timed(lambda: next(b for b in at.button if b.label == "Next").click().run())
    assert not at.exception, at.exception
    assert any(c.value.startswith("Responses 26–50 of") for c in at.caption)
    return seconds


def conversations_tab() -> float:
    """Seconds for the run that opens the Conversations tab (its page of 25 with their sums)."""
    at = run_page(open_history())
    at.session_state["history_tab"] = "Conversations"
    seconds, at = timed(at.run)
    assert not at.exception, at.exception
    assert any(c.value.startswith("Conversations 1–") for c in at.caption), [c.value for c in at.caption]
    return seconds


def filter_change() -> float:
    """Seconds for the run after picking one model in the filters and applying them."""
    at = run_page(open_history())
    next(m for m in at.multiselect if m.label == "Models").set_value([MODELS[0]])
    apply = next(b for b in at.button if b.label == "Apply")
    seconds, at = timed(lambda: apply.click().run())
    assert not at.exception, at.exception
    assert set(at.dataframe[0].value["Model"]) == {MODELS[0]}
    return seconds


def rss_mb() -> float:
    """Resident memory of this process (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def traced_peak_mb(action) -> float:
    """Peak of memory allocated by Python while `action` runs, in MB."""
    gc.collect()
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def measure(url: str, base_url: str) -> dict[str, float]:
    """Median first-page and filter-change times of the page on the store at `url`."""
    with app_environment(url, base_url):
        first_page()  # warm-up: imports, caches, the store's engine
        return {
            "first_page": statistics.median(first_page() for _ in range(RUNS)),
            "filter_change": statistics.median(filter_change() for _ in range(RUNS)),
            "next_page": statistics.median(next_page() for _ in range(RUNS)),
            "conversations_tab": statistics.median(conversations_tab() for _ in range(RUNS)),
        }


def memory(url: str, base_url: str, owner: str) -> dict[str, float]:
    """Memory of rendering the page, against that of holding every row (what the page must not do)."""
    with app_environment(url, base_url):
        rss_before = rss_mb()
        page_peak = traced_peak_mb(first_page)
        rss_after = rss_mb()
        store = HistoryStore(url)
        try:
            rows_peak = traced_peak_mb(lambda: list(store.iter_responses(ResponseFilter(owner=owner))))
        finally:
            store.close()
    return {"page_peak": page_peak, "all_rows_peak": rows_peak, "rss_delta": rss_after - rss_before, "rss": rss_after}


def seeded_store(url: str, total: int, conversation_count: int) -> None:
    store = HistoryStore(url)
    try:
        started = time.perf_counter()
        seed(store, total, conversation_count, owner_for(None, KEY))
        seed(store, 1000, 20, owner_for(None, OTHER_KEY))  # someone else's rows, never shown
        if store.engine.dialect.name == "postgresql":
            # Autovacuum analyzes a table that grows; right after a bulk load the planner has no statistics
            # and picks nested loops (the Conversations tab's query then takes ~40 s instead of ~0.1 s).
            with store.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        print(
            f"  seeded {total:,} responses / {conversation_count:,} conversations "
            f"in {time.perf_counter() - started:.1f} s"
        )
    finally:
        store.close()


def run(workdir: Path, postgres: bool = False) -> dict[str, Any]:
    """Seed both stores, measure, print and return the figures."""
    from tests.db import postgres_schema_url
    from tests.fake_openai import FakeOpenAI

    with ExitStack() as stack:
        if postgres:
            small_url, big_url = stack.enter_context(postgres_schema_url()), stack.enter_context(postgres_schema_url())
        else:
            small_url, big_url = f"sqlite:///{workdir / 'small.db'}", f"sqlite:///{workdir / 'big.db'}"
        print(
            f"\nHistory page benchmark on {'PostgreSQL' if postgres else 'SQLite'} "
            f"(load average {os.getloadavg()[0]:.1f})"
        )
        seeded_store(small_url, 1_000, 20)
        seeded_store(big_url, 100_000, 2_000)
        previous = os.getcwd()
        os.chdir(workdir)  # no .env or secrets of the developer's
        try:
            with FakeOpenAI(api_keys={KEY}) as fake:
                small = measure(small_url, fake.base_url)
                big = measure(big_url, fake.base_url)
                mem = memory(big_url, fake.base_url, owner_for(None, KEY))
        finally:
            os.chdir(previous)
            _close_cached_stores()
    print(f"  {'':18}{'1,000 rows':>12}{'100,000 rows':>14}{'ratio':>8}")
    for name in ("first_page", "filter_change", "next_page", "conversations_tab"):
        print(f"  {name:18}{small[name] * 1000:10.0f} ms{big[name] * 1000:12.0f} ms{big[name] / small[name]:7.1f}x")
    print(
        f"  memory, 100,000 rows: page render peak {mem['page_peak']:.1f} MB (tracemalloc) vs "
        f"{mem['all_rows_peak']:.1f} MB to hold every row; RSS {mem['rss']:.0f} MB "
        f"({mem['rss_delta']:+.1f} MB over the render); load average {os.getloadavg()[0]:.1f}"
    )
    return {"small": small, "big": big, "memory": mem}


def _close_cached_stores() -> None:
    # The app keeps one store per URL in st.cache_resource; a PostgreSQL schema cannot be dropped under it.
    import streamlit as st

    st.cache_resource.clear()


def test_history_page_scales(tmp_path: Path) -> None:
    figures = run(tmp_path, os.environ.get("BENCH_POSTGRES") == "1")
    # Not a timed test: the assert only catches a page that loads the whole table.
    assert figures["memory"]["page_peak"] < figures["memory"]["all_rows_peak"] / 10


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder), os.environ.get("BENCH_POSTGRES") == "1")
