"""Benchmark 4, cold start: `streamlit run` to the first page served, and the import time of `lib/`.

- Launch -> /_stcore/health answers 200 -> the chat page drawn in Chromium (idle, chat input shown) for
  the first session (whose script run does the app's imports), then a second session for comparison.
- `python -c "import lib.chat, lib.ui.chat_flow"`: wall time over a bare interpreter, what `lib.chat`
  alone (no UI) pulls in, and from `-X importtime` the 10 heaviest third-party packages (cumulative,
  where our code first imports them).
Both with and without a bytecode cache: this environment sets PYTHONDONTWRITEBYTECODE=1, so every start
compiles every module from source; a normal deployment writes .pyc files once. The cached variant keeps
its .pyc files under a temporary PYTHONPYCACHEPREFIX, so nothing is written into the tree or the venv.

Run on demand (not part of the default run), about 1 minute:
    uv run python -m tests.bench.bench_cold_start
    uv run pytest -o addopts="" tests/bench/bench_cold_start.py -s
Prints figures; asserts no timing.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from tests.bench.support import ROOT, App, fake_process, launch_chromium, load, median, open_chat, with_env

RUNS = 2
IMPORT = "import lib.chat, lib.ui.chat_flow"
HEAVY = (
    "streamlit",
    "pandas",
    "numpy",
    "pyarrow",
    "sqlalchemy",
    "genai_prices",
    "pydantic",
    "openai",
    "httpx2",
    "jsonschema",
    "psycopg",
    "altair",
    "PIL",
)


@dataclass
class Entry:
    name: str
    level: int
    own_us: int
    cumulative_us: int
    parent: Entry | None = None

    @property
    def package(self) -> str:
        return self.name.split(".")[0]

    def importer(self) -> str:
        """The nearest enclosing module of ours (lib, tests, or the command itself)."""
        node = self.parent
        while node is not None and node.package != "lib":
            node = node.parent
        return node.name if node is not None else "-c"


def import_entries(code: str, env: dict[str, str]) -> list[Entry]:
    """`-X importtime` lines, each linked to the module that imported it."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, env=env
    )
    entries = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        level = (len(name) - len(name.lstrip()) - 1) // 2
        entries.append(Entry(name.strip(), level, int(own), int(cumulative)))
    ancestors: dict[int, Entry] = {}
    for entry in reversed(entries):  # a module's line comes after those it imported
        entry.parent = ancestors.get(entry.level - 1)
        ancestors[entry.level] = entry
    return entries


def heaviest_packages(entries: list[Entry], top: int = 10) -> list[tuple[str, float, str]]:
    """(package, cumulative ms, first imported by) for third-party packages, heaviest first."""
    totals: dict[str, float] = defaultdict(float)
    importer: dict[str, str] = {}
    for entry in reversed(entries):  # outermost first, so `importer` is the first place it came in
        if entry.package == "lib" or (entry.parent is not None and entry.parent.package == entry.package):
            continue
        totals[entry.package] += entry.cumulative_us / 1000
        importer.setdefault(entry.package, entry.importer())
    ranked = sorted(totals.items(), key=lambda kv: kv[1], reverse=True)[:top]
    return [(name, ms, importer[name]) for name, ms in ranked]


def interpreter_seconds(code: str, env: dict[str, str], runs: int = RUNS) -> float:
    """Median wall time of `python -c code`."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=env)
        times.append(time.perf_counter() - started)
    return median(times)


def loaded_heavy(code: str, env: dict[str, str]) -> list[str]:
    """Which heavy packages `code` leaves in sys.modules."""
    probe = f"{code}; import sys; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, env=env)
    return done.stdout.split()


def cold_starts(
    base_url: str, chromium: Any, workdir: Path, env: dict[str, str | None], runs: int = RUNS
) -> list[dict[str, float]]:
    """Launch -> healthy -> first chat page -> a second session's chat page, `runs` times."""
    results = []
    for number in range(runs):
        app = App.launch(base_url, workdir / f"run{number}", env=env)
        try:
            app.wait_healthy(poll=0.01)
            page = chromium.new_page()
            open_chat(page, app.url)
            first = time.perf_counter() - app.started
            page.close()
            page = chromium.new_page()
            started = time.perf_counter()
            open_chat(page, app.url)
            second = time.perf_counter() - started
            page.close()
        finally:
            app.stop()
        results.append({"healthy": app.healthy_after or 0.0, "first_page": first, "second_page": second})
    return results


def run(workdir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    print("\nCold-start benchmark")
    print(f"  {load()}")
    pycache = workdir / "pycache"
    variants: dict[str, dict[str, str | None]] = {
        "no bytecode cache": {"PYTHONDONTWRITEBYTECODE": "1"},
        "bytecode cache": {"PYTHONDONTWRITEBYTECODE": None, "PYTHONPYCACHEPREFIX": str(pycache)},
    }
    figures: dict[str, Any] = {}
    with fake_process(deltas=10) as base_url, sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        for name, changes in variants.items():
            env = with_env(changes)
            if name == "bytecode cache":  # fill the cache: imports, then one unmeasured start of the app
                subprocess.run([sys.executable, "-c", IMPORT], cwd=ROOT, check=True, env=env)
                cold_starts(base_url, chromium, workdir / "prime", changes, runs=1)
            starts = cold_starts(base_url, chromium, workdir / name.replace(" ", "-"), changes)
            healthy, first, second = (median([s[k] for s in starts]) for k in ("healthy", "first_page", "second_page"))
            bare = interpreter_seconds("pass", env)
            full = interpreter_seconds(IMPORT, env)
            core = interpreter_seconds("import lib.chat", env, runs=1)
            figures[name] = {
                "healthy": healthy,
                "first_page": first,
                "second_page": second,
                "import": full - bare,
                "import_core": core - bare,
            }
            print(f"  {name} (medians of {RUNS}):")
            print(
                f"    `streamlit run Home.py`: health OK after {healthy:.2f} s; chat page drawn in Chromium after "
                f"{first:.2f} s (its first script run, with the app's imports: {first - healthy:.2f} s); "
                f"a second session's page {second:.2f} s"
            )
            print(
                f'    `python -c "{IMPORT}"` {full - bare:.2f} s over a bare interpreter ({bare:.2f} s); '
                f"`import lib.chat` alone {core - bare:.2f} s"
            )
        chromium.close()
    env = with_env(variants["bytecode cache"])
    print(
        f"  heavy packages loaded by `import lib.chat`: {', '.join(loaded_heavy('import lib.chat', env)) or 'none'}; "
        f"by both: {', '.join(loaded_heavy(IMPORT, env))}"
    )
    entries = import_entries(IMPORT, env)
    total = sum(e.own_us for e in entries) / 1000
    ours = sum(e.own_us for e in entries if e.package == "lib") / 1000
    print(
        f"  -X importtime with the bytecode cache: {total:.0f} ms in all, {ours:.0f} ms in lib/'s own module "
        f"bodies; top 10 packages (cumulative, where our code first imports them):"
    )
    figures["top"] = heaviest_packages(entries)
    for name, ms, importer in figures["top"]:
        kind = " (stdlib)" if name in sys.stdlib_module_names else ""
        print(f"    {ms:7.0f} ms  {name + kind:<18} first imported by {importer}")
    print(f"  {load()}; {time.perf_counter() - started:.0f} s in all")
    return figures


def test_cold_start_benchmark(tmp_path: Path) -> None:
    run(tmp_path)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder))
