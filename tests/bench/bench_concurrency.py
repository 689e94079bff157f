"""Benchmark 3, concurrency: 20 sessions streaming at once against the double, vs one session.

One `streamlit run` (as deployed: one process serves every viewer), 20 Playwright pages in one Chromium,
each its own Streamlit session, all pressing Enter together. The double runs in its own process.
Why pages and not 20 AppTests in threads: AppTest runs each script in-process without Streamlit's
server (no websocket, no forward-message queue, no Tornado loop shared by sessions), so it would miss
exactly what concurrent sessions share in production; and it is not built to run in parallel threads.
Caveat: on this 2-core machine Chromium's rendering of 20 pages competes with the server for CPU, so the
browser-side figure is pessimistic; the server-side latency recorded in the history store is reported too.

Run on demand (not part of the default run), about 1.5 minutes:
    uv run python -m tests.bench.bench_concurrency
    uv run pytest -o addopts="" tests/bench/bench_concurrency.py -s
Prints figures and ratios; asserts no timing.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.async_api import async_playwright

from tests.bench.support import (
    DONE_JS,
    MARKER,
    cpu_by_role,
    cpu_spent,
    fake_process,
    launch_chromium,
    load,
    median,
    p95,
    streamlit_app,
)

SESSIONS = 20
SINGLE_RUNS = 3
DELTAS, DELAY = 500, 0.01  # ~15 KB at ~100 deltas/s: about 5-6 s per answer for one session
TARGET = 2.0


def prompt(label: str) -> str:
    return f"{label}: the benchmark answer please [deltas={DELTAS} delay={DELAY}]"


async def open_chat(page: Any, url: str) -> None:
    await page.goto(url, timeout=120_000)
    await page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=120_000)
    await page.get_by_test_id("stChatInputTextArea").wait_for(timeout=120_000)


async def turn(page: Any, text: str, ready: asyncio.Event | None = None) -> tuple[float, float]:
    """(when Enter was pressed, seconds until the whole answer was drawn and the script run had ended)."""
    box = page.get_by_test_id("stChatInputTextArea")
    await box.fill(text)
    if ready is not None:
        await ready.wait()
    pressed = time.perf_counter()
    await box.press("Enter")
    await page.wait_for_function(DONE_JS, arg=[MARKER, 2], polling=50, timeout=300_000)
    return pressed, time.perf_counter() - pressed


def server_latencies(history: Path, label: str) -> list[float]:
    """Turn latencies (s) the app recorded in its history store for prompts starting with `label`."""
    with sqlite3.connect(history) as db:
        rows = db.execute("select latency_ms from responses where input_preview like ?", (f"{label}%",)).fetchall()
    return [ms / 1000 for (ms,) in rows if ms is not None]


async def measure(url: str) -> dict[str, Any]:
    async with async_playwright() as playwright:
        chromium = await launch_chromium(playwright)
        context = await chromium.new_context(viewport={"width": 1000, "height": 800})
        page = await context.new_page()  # warm-up: the server's first script run compiles and imports
        await open_chat(page, url)
        await turn(page, "warm-up [deltas=50 delay=0]")
        await page.close()

        single = []
        cpu_before, single_started = cpu_by_role(), time.perf_counter()
        for number in range(SINGLE_RUNS):
            page = await context.new_page()
            await open_chat(page, url)
            single.append((await turn(page, prompt(f"single {number}")))[1])
            await page.close()
        single_cpu = cpu_spent(cpu_before, cpu_by_role())
        single_wall = time.perf_counter() - single_started

        pages = [await context.new_page() for _ in range(SESSIONS)]
        opened = time.perf_counter()
        await asyncio.gather(*(open_chat(page, url) for page in pages))
        open_seconds = time.perf_counter() - opened
        ready = asyncio.Event()
        tasks = [asyncio.create_task(turn(page, prompt(f"session {n:02d}"), ready)) for n, page in enumerate(pages)]
        await asyncio.sleep(0.5)  # every prompt typed, then all press Enter together
        cpu_before, many_started = cpu_by_role(), time.perf_counter()
        ready.set()
        results = await asyncio.gather(*tasks)
        many_cpu = cpu_spent(cpu_before, cpu_by_role())
        many_wall = time.perf_counter() - many_started
        await chromium.close()
    first_press = min(pressed for pressed, _ in results)
    makespan = max(pressed + seconds for pressed, seconds in results) - first_press
    return {
        "single": single,
        "many": [seconds for _, seconds in results],
        "makespan": makespan,
        "spread": max(p for p, _ in results) - first_press,
        "open": open_seconds,
        "cpu": {"one session at a time": (single_cpu, single_wall), f"{SESSIONS} at once": (many_cpu, many_wall)},
    }


def run(workdir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    print(
        f"\nConcurrency benchmark: {SESSIONS} sessions at once vs 1; "
        f"answer of {DELTAS} deltas, {DELAY * 1000:.0f} ms "
        f"apart (~15 KB); one `streamlit run`, {SESSIONS} pages in one Chromium, the double in its own process"
    )
    print(f"  {load()}")
    with fake_process(deltas=DELTAS, delay=DELAY) as base_url, streamlit_app(base_url, workdir / "app") as app:
        figures = asyncio.run(measure(app.url))
        history = workdir / "app" / "history.db"
        server_single = server_latencies(history, "single")
        server_many = server_latencies(history, "session")
    single, many = median(figures["single"]), figures["many"]
    ratio = p95(many) / single
    print(
        f"  browser turn (Enter -> answer drawn, run ended): one session {single:.2f} s (median of {SINGLE_RUNS}); "
        f"{SESSIONS} at once: median {median(many):.2f} s, p95 {p95(many):.2f} s, max {max(many):.2f} s"
    )
    print(
        f"  p95 / one session: {ratio:.2f}x (target <= {TARGET:.0f}x: {'met' if ratio <= TARGET else 'NOT met'}); "
        f"all {SESSIONS} done {figures['makespan']:.2f} s after the first Enter (presses spread over "
        f"{figures['spread'] * 1000:.0f} ms); opening the {SESSIONS} pages took {figures['open']:.1f} s"
    )
    if server_single and len(server_many) == SESSIONS:
        server_ratio = p95(server_many) / median(server_single)
        print(
            f"  server side (latency_ms in the history store: request to last event, in the worker): one session "
            f"{median(server_single):.2f} s; {SESSIONS} at once p95 {p95(server_many):.2f} s: {server_ratio:.2f}x"
        )
        figures["server_ratio"] = server_ratio
    else:
        print(f"  server side: {len(server_many)} of {SESSIONS} turns recorded in the history store")
    cores = os.cpu_count() or 1
    for phase, (cpu, wall) in figures["cpu"].items():
        parts = ", ".join(f"{role} {seconds:.1f} s" for role, seconds in sorted(cpu.items(), key=lambda kv: -kv[1]))
        print(
            f"  CPU, {phase} ({wall:.1f} s wall, {cores} cores = {wall * cores:.0f} CPU-s available): {parts}; "
            f"ours in all {sum(cpu.values()):.1f} s"
        )
    print(f"  {load()}; {time.perf_counter() - started:.0f} s in all")
    return figures | {"ratio": ratio}


def test_concurrency_benchmark(tmp_path: Path) -> None:
    run(tmp_path)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder))
