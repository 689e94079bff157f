"""What the benchmarks share: the long answer, the double in its own process, the app under
`streamlit run`, Chromium, websocket byte counting and a few statistics. Only 127.0.0.1 is touched."""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.actions import wait_idle
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, E2E_KEY, ROOT, free_port

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "DONE_JS",
    "E2E_KEY",
    "MARKER",
    "MODEL",
    "ROOT",
    "App",
    "WsCounter",
    "app_env",
    "browser_turn",
    "cpu_by_role",
    "cpu_spent",
    "fake_process",
    "kb",
    "launch_chromium",
    "load",
    "long_answer",
    "median",
    "open_chat",
    "p95",
    "settle",
    "streamlit_app",
    "streamlit_apps",
    "wait_idle",
    "with_env",
]

MARKER = "End of the benchmark answer."  # the last words of every answer: seen in the page = fully drawn
MODEL = "gpt-5-mini"

_WORDS = [
    "stream",
    "delta",
    "paragraph",
    "render",
    "element",
    "websocket",
    "frame",
    "session",
    "browser",
    "server",
    "answer",
    "token",
    "model",
    "request",
    "response",
    "markdown",
    "batch",
    "interval",
    "tail",
    "fence",
    "list",
    "code",
]


def long_answer(size: int = 15_000) -> str:
    """Markdown of about `size` bytes: headings, paragraphs, lists and code fences (with a blank line inside)."""
    parts: list[str] = []
    section = 0
    while sum(len(p) + 2 for p in parts) < size:
        section += 1
        words = [_WORDS[(section * 7 + n * 3) % len(_WORDS)] for n in range(70)]
        parts.append(f"## Section {section}")
        parts.append(f"Section {section} explains " + " ".join(words) + ".")
        parts.append("\n".join(f"- item {section}.{n}: " + " ".join(words[n : n + 6]) for n in range(5)))
        parts.append(
            f"```python\ndef section_{section}(x):\n    total = x * {section}\n\n"
            f"    # a blank line above stays inside the fence\n    return total + {section}\n```"
        )
        parts.append("Then " + " ".join(reversed(words[:45])) + ".")
    parts.append(MARKER)
    return "\n\n".join(parts)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile (for 20 values: the 19th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@contextmanager
def fake_process(deltas: int = 2000, delay: float = 0.0, size: int = 15_000) -> Iterator[str]:
    """The double in a process of its own (so it does not share our GIL); yields its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.fake_server", f"--deltas={deltas}", f"--delay={delay}", f"--size={size}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = (process.stdout.readline() if process.stdout else "").strip()
        if not base_url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the double did not start: {base_url!r}")
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def with_env(changes: Mapping[str, str | None], base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment with `changes` applied (None removes a variable)."""
    env = dict(os.environ if base is None else base)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def app_env(base_url: str, data: Path, extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The app's environment: the developer's OpenAI settings removed, the double and a fresh history."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_OPENAI_", "APP_", "HISTORY_"))}
    env |= {
        "OPENAI_API_KEY": E2E_KEY,
        "OPENAI_BASE_URL": base_url,
        "OPENAI_MODEL": MODEL,
        "HISTORY_DATABASE_URL": f"sqlite:///{data / 'history.db'}",
    }
    return with_env(extra or {}, env)


@dataclass
class App:
    """A `streamlit run` on a free port of 127.0.0.1, started as tests/e2e/conftest.py starts it."""

    url: str
    process: subprocess.Popen
    started: float  # time.perf_counter() just before Popen
    log: Path
    data: Path
    healthy_after: float | None = None  # seconds from Popen to the first healthy answer

    @classmethod
    def launch(
        cls,
        base_url: str,
        data: Path,
        script: str | Path = "Home.py",
        cwd: Path = ROOT,
        env: Mapping[str, str | None] | None = None,
    ) -> App:
        """Start the server (`env`: extra variables, None removes one); `wait_healthy` before use."""
        data.mkdir(parents=True, exist_ok=True)
        port = free_port()
        log = data / f"streamlit-{port}.log"
        started = time.perf_counter()
        with log.open("w") as output:  # the child keeps its own copy of the handle
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "streamlit",
                    "run",
                    str(script),
                    "--server.headless=true",
                    "--server.address=127.0.0.1",
                    f"--server.port={port}",
                    "--browser.gatherUsageStats=false",
                    "--server.fileWatcherType=none",
                ],
                cwd=cwd,
                env=app_env(base_url, data, env),
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        return cls(f"http://127.0.0.1:{port}", process, started, log, data)

    def wait_healthy(self, timeout: float = 60, poll: float = 0.02) -> App:
        """Poll /_stcore/health until it answers 200."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as answer:
                    if answer.status == 200:
                        self.healthy_after = time.perf_counter() - self.started
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"streamlit did not start; see {self.log}")
            time.sleep(poll)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def streamlit_apps(*specs: tuple[str, Path] | tuple[str, Path, str | Path, Path]) -> Iterator[list[App]]:
    """Several apps started side by side: each spec is (base_url, data dir[, script, cwd])."""
    apps: list[App] = []
    try:
        for spec in specs:
            apps.append(App.launch(*spec))
        for app in apps:
            app.wait_healthy()
        yield apps
    finally:
        for app in apps:
            app.stop()


@contextmanager
def streamlit_app(base_url: str, data: Path, script: str | Path = "Home.py", cwd: Path = ROOT) -> Iterator[App]:
    """`streamlit run <script>` headless on a free port of 127.0.0.1, healthy."""
    with streamlit_apps((base_url, data, script, cwd)) as (app,):
        yield app


_ROLES = (
    ("tests.bench.fake_server", "double"),
    ("streamlit", "app server"),
    ("chrom", "Chromium"),
    ("playwright", "Playwright driver"),
    ("node", "Playwright driver"),
)


def cpu_by_role() -> dict[str, float]:
    """CPU seconds (user + system) so far of this process and its descendants, by role (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]  # still there when a zombie has lost its cmdline
        parents[pid], names[pid] = int(fields[1]), f"{comm} {cmdline}"
        times[pid] = (int(fields[11]) + int(fields[12])) / tick
    mine, frontier = {os.getpid()}, [os.getpid()]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in mine:
                mine.add(pid)
                frontier.append(pid)
    totals: dict[str, float] = {}
    for pid in mine:
        role = (
            "benchmark" if pid == os.getpid() else next((label for key, label in _ROLES if key in names[pid]), "other")
        )
        totals[role] = totals.get(role, 0.0) + times[pid]
    return totals


def cpu_spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds by role between two `cpu_by_role()` snapshots (processes that ended are not counted)."""
    return {role: after[role] - before.get(role, 0.0) for role in after if after[role] - before.get(role, 0.0) > 0.005}


def load() -> str:
    """The machine's load averages: other work on these 2 cores skews wall times."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless (sync or async Playwright alike)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


class WsCounter:
    """Bytes and frames the page receives over its websockets (attach before `goto`).

    Also when (perf_counter, as Playwright hands the frame to us) the first frame, the first frame
    holding `needle`, and the last frame arrived since the last reset.
    """

    def __init__(self, page: Any, needle: bytes = b"") -> None:
        self.needle = needle
        self.reset()
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload: str | bytes) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        now = time.perf_counter()
        self.bytes += len(data)
        self.frames += 1
        self.first_at = self.first_at or now
        if self.needle and self.needle_at is None and self.needle in data:
            self.needle_at = now
        self.last_at = now

    def reset(self) -> None:
        self.bytes = self.frames = 0
        self.first_at: float | None = None
        self.needle_at: float | None = None
        self.last_at: float | None = None


# Done = the script run has ended and the last chat message holds the answer's last words.
DONE_JS = """([marker, count]) => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute("data-test-script-state") !== "notRunning") return false;
  const messages = document.querySelectorAll("[data-testid='stChatMessage']");
  return messages.length >= count && messages[messages.length - 1].innerText.includes(marker);
}"""


def browser_turn(
    page: Any, prompt: str, *, marker: str = MARKER, messages: int = 2, timeout_s: float = 90
) -> tuple[float, float]:
    """Send a prompt from the chat input: (when Enter was pressed, seconds until the answer was drawn and the
    run had ended)."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(prompt)
    started = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(DONE_JS, arg=[marker, messages], polling=20, timeout=timeout_s * 1000)
    return started, time.perf_counter() - started


def open_chat(page: Any, url: str) -> None:
    """Load the app and wait for an idle chat page."""
    page.goto(url)
    wait_idle(page)
    page.get_by_test_id("stChatInputTextArea").wait_for(timeout=30_000)


def settle(page: Any, seconds: float = 0.3) -> None:
    """Let Playwright dispatch the websocket events still queued for us."""
    page.wait_for_timeout(seconds * 1000)


def kb(n: float) -> str:
    return f"{n / 1024:,.1f} KB"
