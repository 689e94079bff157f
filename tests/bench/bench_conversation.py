"""Benchmark 2, long conversations: 200 turns against 2.

The conversation is built by running `lib.chat.run_turn` in a loop against the double (in this process,
so its request log can be read). Then, for 2 and 200 turns:
- per-turn request size: the Content-Length of each POST /v1/responses the double received (must stay flat);
- the chat page in AppTest: rerun time with the transcript in the session (as after chatting), first run
  and rerun time when the conversation is reopened from its URL (transcript from items.list), and one more
  turn sent from the page;
- a cProfile of one 200-turn rerun (the script thread), showing where the time goes.

Run on demand (not part of the default run), about 1 minute:
    uv run python -m tests.bench.bench_conversation
    uv run pytest -o addopts="" tests/bench/bench_conversation.py -s
Prints figures and ratios; asserts no timing.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from lib.chat import run_turn
from lib.client import build_client
from lib.conversations import Thread
from lib.settings import Settings
from lib.stream import Turn
from lib.ui import state
from lib.ui.chat_flow import RECENT_TURNS
from tests.bench.support import E2E_KEY, MODEL, ROOT, load, long_answer, median
from tests.fake_openai import FakeOpenAI, Text
from tests.fake_openai.server import route_of

SIZES = (2, 200)
RERUNS = 7  # reruns timed; the best is reported (the least disturbed by other work on the machine)
ANSWER = long_answer(1_000)  # ~1.2 KB of markdown per answer: a heading, a paragraph, a list, a code fence
TARGET_RERUN = 2.0
WINDOW = 20  # what-if: only the last turns drawn, older ones behind a "show earlier" control


@contextmanager
def app_environment(base_url: str, workdir: Path) -> Iterator[None]:
    """What the app reads from the environment, pointed at the double; cwd without .env or secrets."""
    names = [n for n in os.environ if n.startswith(("OPENAI_", "AZURE_OPENAI_", "APP_", "HISTORY_"))]
    saved, cwd = {n: os.environ.pop(n) for n in names}, os.getcwd()
    os.environ.update(
        OPENAI_API_KEY=E2E_KEY,
        OPENAI_BASE_URL=base_url,
        OPENAI_MODEL=MODEL,
        HISTORY_DATABASE_URL=f"sqlite:///{workdir / 'history.db'}",
    )
    os.chdir(workdir)
    try:
        yield
    finally:
        os.chdir(cwd)
        for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "HISTORY_DATABASE_URL"):
            os.environ.pop(name, None)
        os.environ.update(saved)


def request_sizes(fake: FakeOpenAI) -> list[int]:
    """Bytes of every POST /v1/responses body, oldest first."""
    return [
        int(r.headers.get("content-length", 0))
        for r in fake.requests
        if r.method == "POST" and route_of(r.path) == "/responses"
    ]


def build(fake: FakeOpenAI, turns: int) -> tuple[Thread, list[Turn], list[int], list[float]]:
    """A conversation of `turns` turns run through lib.chat.run_turn: its turns, request sizes, seconds per turn."""
    settings = Settings(api_key=E2E_KEY, base_url=fake.base_url, model=MODEL)
    client = build_client(settings)
    thread, done = Thread(), []
    before = len(request_sizes(fake))
    fake.queue(*[Text(ANSWER) for _ in range(turns)])
    seconds = []
    for number in range(1, turns + 1):
        started = time.perf_counter()
        *_, turn = run_turn(client, settings, thread, f"Question {number:03d}: explain section {number:03d}.")
        seconds.append(time.perf_counter() - started)
        assert turn.status == "completed", turn.error
        done.append(turn)
    return thread, done, request_sizes(fake)[before:], seconds


def timed_run(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - started
    assert not at.exception, at.exception
    return seconds


def live_session(thread: Thread, turns: list[Turn]) -> AppTest:
    """The chat page of a session that has chatted these turns (transcript in session state)."""
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    at.session_state[state.TRANSCRIPT] = list(turns)
    at.session_state[state.THREAD] = Thread(
        conversation_id=thread.conversation_id, last_response_id=thread.last_response_id
    )
    at.query_params["conversation"] = thread.conversation_id
    return at


def measure(fake: FakeOpenAI, thread: Thread, turns: list[Turn]) -> dict[str, Any]:
    """Reruns of a live session, a reopened URL, and one more turn sent from the page."""
    figures: dict[str, Any] = {}
    at = live_session(thread, turns)
    figures["live_first"] = timed_run(at)
    assert len(at.chat_message) == 2 * min(len(turns), RECENT_TURNS), len(at.chat_message)
    figures["live_rerun"] = min(timed_run(at) for _ in range(RERUNS))

    reopened = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    reopened.query_params["conversation"] = thread.conversation_id
    figures["url_first"] = timed_run(reopened)
    assert len(reopened.chat_message) == 2 * min(len(turns), RECENT_TURNS), len(reopened.chat_message)
    figures["url_rerun"] = min(timed_run(reopened) for _ in range(RERUNS))

    fake.queue(Text(ANSWER))
    sent = len(request_sizes(fake))
    at.chat_input[0].set_value(f"Question {len(turns) + 1:03d}: explain section {len(turns) + 1:03d}.")
    figures["page_turn"] = timed_run(at)
    assert len(at.chat_message) == 2 * (min(len(turns), RECENT_TURNS) + 1)  # the recent turns and the new one
    figures["page_turn_request"] = request_sizes(fake)[sent]
    figures["page_turn_api"] = (at.session_state[state.TRANSCRIPT][-1].latency_ms or 0) / 1000
    figures["after_turn_rerun"] = min(timed_run(at) for _ in range(RERUNS))
    return figures


def what_if(thread: Thread, turns: list[Turn], window: int) -> dict[str, float]:
    """Rerun times under two changes the app could make, tried by patching this process only."""
    from lib.ui import transcript

    def best(shown: list[Turn], code: bool) -> float:
        at = live_session(thread, shown)
        original = transcript.render_code
        if not code:
            transcript.render_code = lambda *args, **kwargs: None
        try:
            at.run()
            return min(timed_run(at) for _ in range(RERUNS))
        finally:
            transcript.render_code = original

    return {
        "without_code": best(turns, code=False),
        "window": best(turns[-window:], code=True),
        "window_without_code": best(turns[-window:], code=False),
    }


def profile_rerun(thread: Thread, turns: list[Turn], top: int = 14) -> str:
    """cProfile of one rerun, taken in AppTest's script thread; project code and the heaviest callees."""
    at = live_session(thread, turns)
    at.run()
    profiler = cProfile.Profile()

    def start_in_script_thread(*_: Any) -> None:
        sys.setprofile(None)
        profiler.enable()

    threading.setprofile(start_in_script_thread)  # threads started from now on: AppTest's script runner
    try:
        at.run()
    finally:
        threading.setprofile(None)
    stats = pstats.Stats(profiler)
    out = io.StringIO()
    stats.stream = out
    entries = []
    for (filename, _line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        path = filename.replace(str(ROOT) + "/", "")
        if path.startswith(("lib/", "app_pages/", "Home.py")):
            entries.append((cumtime, tottime, calls, f"{path}:{name}"))
    total = max((e[0] for e in entries), default=0.0)
    lines = [f"    {'cumulative':>10} {'own':>8} {'calls':>7}  function (project code; total {total * 1000:.0f} ms)"]
    for cumtime, tottime, calls, where in sorted(entries, reverse=True)[:top]:
        lines.append(f"    {cumtime * 1000:8.0f}ms {tottime * 1000:6.0f}ms {calls:7d}  {where}")
    heavy = sorted(
        ((tt, ct, n, f"{Path(f).name}:{fn}") for (f, _, fn), (_, n, tt, ct, _) in stats.stats.items()),  # type: ignore[attr-defined]
        reverse=True,
    )[:8]
    lines.append("    heaviest own time anywhere:")
    for tottime, _, calls, where in heavy:
        lines.append(f"    {tottime * 1000:8.0f}ms own {calls:9d} calls  {where}")
    return "\n".join(lines)


def run(workdir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    print(f"\nLong-conversation benchmark: {SIZES[0]} turns against {SIZES[1]} (answers of {len(ANSWER):,} bytes)")
    print(f"  {load()}")
    results: dict[int, dict[str, Any]] = {}
    with FakeOpenAI(api_keys={E2E_KEY}) as fake, app_environment(fake.base_url, workdir):
        conversations = {size: build(fake, size) for size in SIZES}
        for size, (thread, turns, sizes, seconds) in conversations.items():
            results[size] = {"build": seconds, "sizes": sizes} | measure(fake, thread, turns)
        thread, turns, _, _ = conversations[SIZES[1]]
        profile = profile_rerun(thread, turns)
        trial = what_if(thread, turns, WINDOW)
    small, big = results[SIZES[0]], results[SIZES[1]]
    sizes = big["sizes"]
    per_turn = big["build"]
    print(
        f"  built through lib.chat.run_turn: {SIZES[1]} turns in {sum(per_turn):.1f} s; median turn, turns 2-11 "
        f"{median(per_turn[1:11]) * 1000:.0f} ms, "
        f"turns {SIZES[1] - 9}-{SIZES[1]} {median(per_turn[-10:]) * 1000:.0f} ms "
        f"(the in-process double deep-copies the whole conversation on every request)"
    )
    print(
        f"  request size (POST /v1/responses body): turn 1 {sizes[0]} B, turn 2 {sizes[1]} B, "
        f"turn 100 {sizes[99]} B, turn 200 {sizes[199]} B; min {min(sizes)} B, max {max(sizes)} B; "
        f"sent from the page after {SIZES[0]} turns {small['page_turn_request']} B, after {SIZES[1]} turns "
        f"{big['page_turn_request']} B -> {'flat' if max(sizes) - min(sizes) <= 8 else 'GROWS'}"
    )
    title = f"chat page in AppTest (reruns: best of {RERUNS})"
    print(f"  {title:<44}{SIZES[0]:>6} turns{SIZES[1]:>8} turns{'ratio':>8}")
    rows = [
        ("rerun, transcript in the session", "live_rerun"),
        ("first run of that session", "live_first"),
        ("reopened from the URL: first run", "url_first"),
        ("reopened from the URL: rerun", "url_rerun"),
        ("one more turn sent from the page", "page_turn"),
        ("rerun after that turn", "after_turn_rerun"),
    ]
    for label, key in rows:
        print(f"  {label:<44}{small[key] * 1000:8.0f} ms{big[key] * 1000:9.0f} ms{big[key] / small[key]:7.1f}x")
    print(
        f"  {'  of which the API turn itself (latency_ms)':<44}{small['page_turn_api'] * 1000:8.0f} ms"
        f"{big['page_turn_api'] * 1000:9.0f} ms"
    )
    ratio = big["live_rerun"] / small["live_rerun"]
    print(
        f"  rerun {SIZES[1]} vs {SIZES[0]} turns: {ratio:.1f}x (target <= {TARGET_RERUN:.0f}x: "
        f"{'met' if ratio <= TARGET_RERUN else 'NOT met'})"
    )
    print(
        f"  what if (patched in this process only, app code unchanged): {SIZES[1]}-turn rerun without "
        f"'View as code' {trial['without_code'] * 1000:.0f} ms ({trial['without_code'] / small['live_rerun']:.1f}x); "
        f"only the last {WINDOW} turns drawn {trial['window'] * 1000:.0f} ms "
        f"({trial['window'] / small['live_rerun']:.1f}x); both {trial['window_without_code'] * 1000:.0f} ms "
        f"({trial['window_without_code'] / small['live_rerun']:.1f}x)"
    )
    print(
        f"  profile of one {SIZES[1]}-turn rerun (AppTest script thread; cProfile inflates absolute times):\n{profile}"
    )
    print(f"  {load()}; {time.perf_counter() - started:.0f} s in all")
    return {"small": small, "big": big, "rerun_ratio": ratio}


def test_long_conversation_benchmark(tmp_path: Path) -> None:
    run(tmp_path)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder))
