"""Benchmark 1, streaming: one 2,000-delta answer (~15 KB of markdown) from the double.

(a) App-side overhead: the app's path (`lib.chat.run_turn` + the reducer; and the worker thread with its
    history write) against consuming the same request with the bare SDK. Wall time and client CPU time.
(b) In Chromium: websocket bytes received during one answer / answer bytes, and the full browser turn,
    for the app and for two naive baselines run from a throwaway script (per-delta `st.empty().markdown`,
    and `st.write_stream`).

Run on demand (not part of the default run), about 2 minutes:
    uv run python -m tests.bench.bench_streaming
    uv run pytest -o addopts="" tests/bench/bench_streaming.py -s
Prints figures and ratios; asserts no timing.
"""

from __future__ import annotations

import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any, Self

import httpx2
from openai import OpenAI
from playwright.sync_api import sync_playwright

from lib.chat import TurnControl, build_request, run_turn, user_message
from lib.conversations import Thread
from lib.jobs import TurnJob
from lib.settings import Settings
from lib.store import HistoryStore, owner_for
from lib.turn_records import record_turn
from tests.bench.support import (
    E2E_KEY,
    MODEL,
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
    streamlit_apps,
)

ANSWER = long_answer()
FIRST_WORDS = ANSWER[:6].encode()  # the first frame holding these bytes carries the first answer text
DELTAS = 2000
DELAYS = (0.0, 0.001)  # seconds between deltas: none (CPU-bound), and a small one (~2 s per answer)
LIBRARY_RUNS = {0.0: 5, 0.001: 3}  # over HTTP: wall time is bound by the double's pace, and noisy
REPLAY_RUNS = 15
BROWSER_RUNS = 3
TARGET_OVERHEAD = 1.05
TARGET_WS_RATIO = 3.0

# The naive way, for comparison: no app code, only the SDK and Streamlit.
NAIVE_SCRIPT = textwrap.dedent("""
    import os
    import streamlit as st
    from openai import OpenAI

    client = st.cache_resource(lambda: OpenAI(api_key=os.environ["OPENAI_API_KEY"],
                                              base_url=os.environ["OPENAI_BASE_URL"]))()
    if prompt := st.chat_input("Message"):
        with st.chat_message("user"):
            st.markdown(prompt)
        with st.chat_message("assistant"):
            events = client.responses.create(model=os.environ["OPENAI_MODEL"], input=prompt, stream=True)
            if st.query_params.get("mode") == "write_stream":
                st.write_stream(e.delta for e in events if e.type == "response.output_text.delta")
            else:
                holder, text = st.empty(), ""
                for event in events:
                    if event.type == "response.output_text.delta":
                        text += event.delta
                        holder.markdown(text)
""")


def tag(delay: float, deltas: int = DELTAS) -> str:
    return f"[deltas={deltas} delay={delay}]"


class Timer:
    """Wall and CPU seconds of this process (every thread) over a block."""

    def __enter__(self) -> Self:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def sdk_path(client: OpenAI, request: dict[str, Any]) -> Timer:
    """The bare SDK: iterate the events, keep the text."""
    with Timer() as timer:
        parts = [e.delta for e in client.responses.create(**request) if e.type == "response.output_text.delta"]
    assert "".join(parts) == ANSWER
    return timer


def lib_path(client: OpenAI, settings: Settings, thread: Thread, prompt: str) -> Timer:
    """The app's library path: run_turn, the reducer, retries, cost."""
    with Timer() as timer:
        *_, turn = run_turn(client, settings, thread, prompt)
    assert turn.text == ANSWER, turn.status
    return timer


def job_path(client: OpenAI, settings: Settings, thread: Thread, prompt: str, store: HistoryStore) -> Timer:
    """The same in the app's worker thread (lib/jobs.py), recording the turn to the history store."""
    owner = owner_for(None, E2E_KEY)
    with Timer() as timer:
        job = TurnJob(
            run_turn(client, settings, thread, prompt),
            TurnControl(),
            lambda turn: record_turn(store, owner, turn, thread.conversation_id, None),
        )
        job.wait(120)
    assert job.turn is not None and job.turn.text == ANSWER
    return timer


def recorded_stream(base_url: str, request: dict[str, Any]) -> list[bytes]:
    """The double's SSE answer to `request`, as the chunks it wrote (one per event)."""
    import json
    import urllib.request

    post = urllib.request.Request(
        f"{base_url}/responses",
        data=json.dumps(request).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {E2E_KEY}"},
    )
    with urllib.request.urlopen(post, timeout=60) as answer:
        body = answer.read()
    return [chunk + b"\n\n" for chunk in body.split(b"\n\n") if chunk]


class _ParsedEvents:
    """Stands in for the SDK's Stream: already-parsed events, so only our code is timed."""

    def __init__(self, events: list[Any]) -> None:
        self._events = events

    def __iter__(self) -> Any:
        return iter(self._events)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def close(self) -> None:
        pass


class _ParsedClient:
    """A client whose responses.create hands back pre-parsed events (with_options returns itself)."""

    def __init__(self, events: list[Any]) -> None:
        self.responses = self
        self.timeout = httpx2.Timeout(600.0, connect=10.0)  # read by lib.chat to bound each request
        self._events = events

    def with_options(self, **_: Any) -> _ParsedClient:
        return self

    def create(self, **_: Any) -> _ParsedEvents:
        return _ParsedEvents(self._events)


def replay(base_url: str) -> dict[str, list[Timer]]:
    """Client-side cost only: the recorded stream served from memory (httpx2.MockTransport), no server.

    "sdk" and "lib" parse the same bytes; "ours" runs run_turn over events the SDK already parsed,
    which isolates our code (request building, reducer, generators, cost) from the SDK's parsing.
    """
    settings = Settings(api_key=E2E_KEY, base_url=base_url, model=MODEL)
    request = build_request(settings, Thread(conversation_id="conv_replay"), [user_message("Replay")])
    chunks = recorded_stream(base_url, {k: v for k, v in request.items() if k != "conversation"})

    def serve(_: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=iter(chunks))

    client = OpenAI(
        api_key=E2E_KEY,
        base_url=base_url,
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(serve)),
    )
    parsed = _ParsedClient(list(client.responses.create(**request)))
    paths = {
        "sdk": lambda: sdk_path(client, request),
        "lib": lambda: lib_path(client, settings, Thread(conversation_id="conv_replay"), "Replay"),
        "ours": lambda: lib_path(parsed, settings, Thread(conversation_id="conv_replay"), "Replay"),
    }  # type: ignore[arg-type]
    for run in paths.values():
        run()
    timings: dict[str, list[Timer]] = {name: [] for name in paths}
    for number in range(REPLAY_RUNS):
        for name in ("sdk", "lib", "ours") if number % 2 else ("ours", "lib", "sdk"):
            timings[name].append(paths[name]())
    return timings


def library(base_url: str, workdir: Path) -> dict[float, dict[str, list[Timer]]]:
    """Interleaved runs of the three paths, each on a fresh conversation; medians per delay."""
    client = OpenAI(api_key=E2E_KEY, base_url=base_url, max_retries=0)
    settings = Settings(api_key=E2E_KEY, base_url=base_url, model=MODEL)
    store = HistoryStore(f"sqlite:///{workdir / 'history.db'}")
    results: dict[float, dict[str, list[Timer]]] = {}

    def fresh_thread() -> Thread:
        return Thread(conversation_id=client.conversations.create().id)

    for delay in DELAYS:
        prompt = f"Benchmark answer please {tag(delay)}"
        request = build_request(settings, Thread(conversation_id="conv_x"), [user_message(prompt)])
        paths = {
            "sdk": lambda t, r=request: sdk_path(client, {**r, "conversation": t.conversation_id}),
            "lib": lambda t, p=prompt: lib_path(client, settings, t, p),
            "job": lambda t, p=prompt: job_path(client, settings, t, p, store),
        }
        for run in paths.values():  # warm-up: imports, pydantic models, price table, SQLite schema
            run(fresh_thread())
        timings: dict[str, list[Timer]] = {name: [] for name in paths}
        names = list(paths)
        for number in range(LIBRARY_RUNS[delay]):
            for name in names[number % 3 :] + names[: number % 3]:  # rotate the order
                timings[name].append(paths[name](fresh_thread()))
        results[delay] = timings
    store.close()
    return results


def browser(base_url: str, workdir: Path) -> dict[str, dict[float, list[dict[str, float]]]]:
    """Fresh page (session) per answer: websocket bytes and frames from Enter to the drawn answer."""
    naive_dir = workdir / "naive"
    naive_dir.mkdir()
    (naive_dir / "naive.py").write_text(NAIVE_SCRIPT)
    results: dict[str, dict[float, list[dict[str, float]]]] = {}
    with (
        streamlit_apps((base_url, workdir / "app"), (base_url, workdir / "naive-app", "naive.py", naive_dir)) as (
            app,
            naive,
        ),
        sync_playwright() as playwright,
    ):
        chromium = launch_chromium(playwright)
        context = chromium.new_context(viewport={"width": 1200, "height": 900})
        targets = {
            "app": (app.url, BROWSER_RUNS, DELAYS),
            "naive st.empty().markdown": (naive.url, 1, DELAYS),
            "naive st.write_stream": (f"{naive.url}/?mode=write_stream", 1, DELAYS[1:]),
        }
        for name, (url, runs, delays) in targets.items():
            results[name] = {}
            if "write_stream" not in name:  # warm-up: the first script run of a server compiles and imports
                page = context.new_page()
                open_chat(page, url)
                browser_turn(page, f"warm up {tag(0.0, 50)}")
                page.close()
            for delay in delays:
                results[name][delay] = []
                for _ in range(runs):
                    page = context.new_page()
                    counter = WsCounter(page, needle=FIRST_WORDS)
                    open_chat(page, url)
                    settle(page)
                    counter.reset()
                    pressed, seconds = browser_turn(page, f"Benchmark answer please {tag(delay)}", timeout_s=150)
                    settle(page)
                    results[name][delay].append(
                        {
                            "seconds": seconds,
                            "bytes": counter.bytes,
                            "frames": counter.frames,
                            "first_frame": (counter.first_at or pressed) - pressed,
                            "first_text": (counter.needle_at or pressed) - pressed,
                            "last_frame": (counter.last_at or pressed) - pressed,
                        }
                    )
                    page.close()
        chromium.close()
    return results


def report(
    played: dict[str, list[Timer]],
    lib: dict[float, dict[str, list[Timer]]],
    web: dict[str, dict[float, list[dict[str, float]]]],
) -> dict:
    answer_bytes = len(ANSWER.encode())
    figures: dict[str, Any] = {"answer_bytes": answer_bytes}
    print(f"\nStreaming benchmark: {DELTAS:,} deltas, answer {answer_bytes:,} bytes of markdown")
    sdk, own = median([t.cpu for t in played["sdk"]]), median([t.cpu for t in played["lib"]])
    ours = median([t.cpu for t in played["ours"]])
    paired = median([b.cpu / a.cpu for a, b in zip(played["sdk"], played["lib"], strict=True)])
    figures["replay_ratio"], figures["replay_paired"] = own / sdk, paired
    figures["ours_ms"], figures["overhead"] = ours * 1000, (sdk + ours) / sdk
    print(
        f"(a) app-side overhead. Client cost alone: a recorded stream replayed from memory (httpx2.MockTransport), "
        f"CPU time, {REPLAY_RUNS} runs, medians:"
    )
    print(
        f"    bare SDK {sdk * 1000:.0f} ms; run_turn + reducer {own * 1000:.0f} ms = {own / sdk:.3f}x "
        f"(median of paired runs {paired:.3f}x)"
    )
    print(
        f"    our code alone (run_turn over the already-parsed events) {ours * 1000:.1f} ms per answer = "
        f"{ours / sdk * 100:.1f} % of the SDK's own cost -> overhead {(sdk + ours) / sdk:.3f}x"
    )
    print(
        "    Over HTTP from the double in its own process (medians; ratios are medians of runs paired with the\n"
        "    SDK run next to them; wall is paced by the double):"
    )
    print(f"  {'delay':>8} {'path':<34}{'wall':>9}{'ratio':>8}{'client CPU':>12}{'ratio':>8}")
    for delay, timings in lib.items():
        sdk_wall = median([t.wall for t in timings["sdk"]])
        labels = {
            "sdk": "bare SDK (create(stream=True))",
            "lib": "lib.chat.run_turn + reducer",
            "job": "worker thread + history write",
        }
        for name, label in labels.items():
            wall = median([t.wall for t in timings[name]])
            cpu = median([t.cpu for t in timings[name]])
            wall_ratio = median([b.wall / a.wall for a, b in zip(timings["sdk"], timings[name], strict=True)])
            cpu_ratio = median([b.cpu / a.cpu for a, b in zip(timings["sdk"], timings[name], strict=True)])
            figures[f"{name}_wall_{delay}"], figures[f"{name}_cpu_{delay}"] = wall, cpu
            figures[f"{name}_ratio_{delay}"] = wall_ratio
            print(
                f"  {delay * 1000:6.0f}ms {label:<34}{wall * 1000:7.0f}ms{wall_ratio:7.3f}x"
                f"{cpu * 1000:10.0f}ms{cpu_ratio:7.2f}x"
            )
    print("(b) in Chromium, fresh session per answer (medians): Enter -> answer drawn and run ended")
    print(
        f"  {'delay':>8} {'renderer':<28}{'turn':>9}{'vs SDK':>8}{'frames':>8}{'ws bytes':>12}{'/answer':>9}"
        f"   first frame / first text / last frame after Enter"
    )
    for name, by_delay in web.items():
        for delay, runs in by_delay.items():
            seconds = median([r["seconds"] for r in runs])
            ws = median([r["bytes"] for r in runs])
            frames = median([r["frames"] for r in runs])
            sdk_wall = median([t.wall for t in lib[delay]["sdk"]])
            figures[f"{name}_ws_ratio_{delay}"] = ws / answer_bytes
            figures[f"{name}_turn_{delay}"] = seconds
            marks = " / ".join(
                f"{median([r[k] for r in runs]):.2f}s" for k in ("first_frame", "first_text", "last_frame")
            )
            print(
                f"  {delay * 1000:6.0f}ms {name:<28}{seconds:8.2f}s{seconds / sdk_wall:7.2f}x{frames:8.0f}"
                f"{kb(ws):>12}{ws / answer_bytes:8.1f}x   {marks}"
            )
    for delay in DELAYS:
        app_ratio = figures[f"app_ws_ratio_{delay}"]
        naive_ratio = figures[f"naive st.empty().markdown_ws_ratio_{delay}"]
        print(
            f"  delay {delay * 1000:.0f} ms: app {app_ratio:.2f}x answer bytes (target <= {TARGET_WS_RATIO:.0f}x: "
            f"{'met' if app_ratio <= TARGET_WS_RATIO else 'NOT met'}); naive per-delta markdown sends "
            f"{naive_ratio / app_ratio:.0f}x the app's bytes"
        )
        lib_ratio = figures[f"lib_ratio_{delay}"]  # paired with the SDK runs
        print(f"  delay {delay * 1000:.0f} ms: library path {lib_ratio:.3f}x the bare SDK's wall time over HTTP")
    overhead = figures["overhead"]
    print(
        f"  library overhead (SDK + our code alone, over the SDK): {overhead:.3f}x (target <= {TARGET_OVERHEAD}: "
        f"{'met' if overhead <= TARGET_OVERHEAD else 'NOT met'}); end to end from memory "
        f"{figures['replay_paired']:.3f}x (noisy on a loaded machine)"
    )
    print(f"  {load()}")
    return figures


def run(workdir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    print(f"  {load()}")

    def lap(what: str) -> None:
        print(f"  .. {what} done at {time.perf_counter() - started:.0f} s", flush=True)

    with fake_process(deltas=DELTAS) as base_url:
        played = replay(base_url)
        lap("replay")
        lib = library(base_url, workdir)
        lap("library over HTTP")
        web = browser(base_url, workdir)
        lap("browser")
    figures = report(played, lib, web)
    print(f"  ({time.perf_counter() - started:.0f} s in all)")
    return figures


def test_streaming_benchmark(tmp_path: Path) -> None:
    run(tmp_path)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder))
