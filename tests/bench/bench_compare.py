"""Benchmark: websocket bytes per answer byte with 4 Compare columns streaming at once, against one chat answer.

The same 2,000-delta answer (~15 KB of markdown) from the double in its own process, in Chromium, a fresh page
(session) per answer: the Chat page answering once, and the Compare page with four columns answering the
same prompt at once (4 answers). Websocket bytes received from Enter to the last answer drawn, divided by
the answer bytes drawn (1x or 4x the answer). Target (issue 14): Compare within 1.5x of the chat's figure.

Run on demand (not part of the default run), about 3 minutes:
    uv run python -m tests.bench.bench_compare
    uv run pytest -o addopts="" tests/bench/bench_compare.py -s
Prints figures and the ratio; asserts no timing.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from tests.bench.support import (
    WsCounter,
    browser_turn,
    fake_process,
    kb,
    launch_chromium,
    load,
    long_answer,
    median,
    open_chat,
    settle,
    streamlit_app,
    wait_idle,
)

ANSWER_BYTES = len(long_answer().encode())
DELTAS = 2000
DELAYS = (0.0, 0.001)  # seconds between deltas: none (CPU-bound), and a small one (~2 s per answer)
RUNS = 3
COLUMNS = 4
TARGET = 1.5


def tag(delay: float, deltas: int = DELTAS) -> str:
    return f"[deltas={deltas} delay={delay}]"


def open_compare(page: Any, url: str, columns: int) -> None:
    """The Compare page with `columns` columns, idle."""
    page.goto(f"{url}/compare")
    wait_idle(page)
    page.get_by_test_id("stButtonGroup").get_by_text(str(columns), exact=True).click()
    wait_idle(page)
    page.get_by_test_id("stChatInputTextArea").wait_for(timeout=30_000)


def one_run(context: Any, url: str, delay: float, columns: int | None) -> dict[str, float]:
    """One answer on the chat page (`columns` None) or one compare prompt; bytes and frames from Enter."""
    page = context.new_page()
    counter = WsCounter(page)
    if columns is None:
        open_chat(page, url)
    else:
        open_compare(page, url, columns)
    settle(page)
    counter.reset()
    _, seconds = browser_turn(page, f"Benchmark answer please {tag(delay)}", messages=2 * (columns or 1), timeout_s=240)
    settle(page)
    page.close()
    answers = columns or 1
    return {
        "seconds": seconds,
        "bytes": counter.bytes,
        "frames": counter.frames,
        "per_answer_byte": counter.bytes / (answers * ANSWER_BYTES),
    }


def browser(base_url: str, workdir: Path) -> dict[str, dict[float, list[dict[str, float]]]]:
    """Every scenario in one app (a fresh page per run), after a warm-up of each page."""
    results: dict[str, dict[float, list[dict[str, float]]]] = {"chat": {}, "compare": {}}
    with streamlit_app(base_url, workdir / "app") as app, sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        context = chromium.new_context(viewport={"width": 1400, "height": 900})
        one_run(context, app.url, 0.0, None)  # warm-up: the first script runs compile and import
        one_run(context, app.url, 0.0, COLUMNS)
        for delay in DELAYS:
            for name, columns in (("chat", None), ("compare", COLUMNS)):
                results[name][delay] = [one_run(context, app.url, delay, columns) for _ in range(RUNS)]
        chromium.close()
    return results


def report(web: dict[str, dict[float, list[dict[str, float]]]]) -> dict[str, float]:
    figures: dict[str, float] = {}
    print(f"\nCompare benchmark: {DELTAS:,} deltas per answer, answer {ANSWER_BYTES:,} bytes, {RUNS} runs, medians")
    print(f"  {'delay':>8} {'page':<22}{'answers':>8}{'ws bytes':>12}{'frames':>8}{'bytes/answer byte':>19}{'wall':>8}")
    for delay in DELAYS:
        for name in ("chat", "compare"):
            runs = web[name][delay]
            per = median([r["per_answer_byte"] for r in runs])
            figures[f"{name}_{delay}"] = per
            print(
                f"  {delay * 1000:6.0f}ms {name:<22}{COLUMNS if name == 'compare' else 1:>8}"
                f"{kb(median([r['bytes'] for r in runs])):>12}{median([r['frames'] for r in runs]):>8.0f}"
                f"{per:>18.2f}x{median([r['seconds'] for r in runs]):>7.1f}s"
            )
        ratio = figures[f"compare_{delay}"] / figures[f"chat_{delay}"]
        figures[f"ratio_{delay}"] = ratio
        verdict = "within" if ratio <= TARGET else "OVER"
        print(f"  {delay * 1000:6.0f}ms compare / chat per answer byte = {ratio:.2f}x ({verdict} the {TARGET}x target)")
    return figures


def run(workdir: Path) -> dict[str, float]:
    started = time.perf_counter()
    print(f"  {load()}")
    with fake_process(deltas=DELTAS) as base_url:
        web = browser(base_url, workdir)
    figures = report(web)
    print(f"  {load()}; {time.perf_counter() - started:.0f} s in all")
    return figures


def test_compare_benchmark(tmp_path: Path) -> None:
    run(tmp_path)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder))
