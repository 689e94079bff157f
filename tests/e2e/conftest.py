"""Browser tests: the real app under `streamlit run`, Debian's Chromium, and the double."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_openai import FakeOpenAI

try:
    import playwright  # noqa: F401  (only to see whether the e2e dependency group is installed)
except ImportError:
    # Playwright is in the `e2e` group, which a plain `uv sync` (Community Cloud's too) leaves out.
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI=true but Playwright is missing: uv sync --all-groups") from None
    collect_ignore_glob = ["test_*.py"]  # skipped locally, as without Chromium

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# Debian's Chromium by default; CHROMIUM=/path/to/chrome runs the browser tests with another build (macOS, Windows).
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
E2E_KEY = "sk-e2e-browser-key-0001"
# Headless, and no background network: this machine's closed network refuses it, many times a second.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test is marked `e2e` (so `-m "not e2e"` runs the rest); without Chromium they skip
    locally and fail in CI."""
    # A conftest's collection hook sees the whole session's items, not only this folder's.
    browser_tests = [item for item in items if item.path.is_relative_to(HERE)]
    for item in browser_tests:
        item.add_marker(pytest.mark.e2e)
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI=true but {CHROMIUM} is missing: apt-get install chromium, or set CHROMIUM")
    for item in browser_tests:
        reason = f"No Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)"
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    """Debian's Chromium, headless, with no background network on this offline machine."""
    return {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def e2e_fake() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(api_keys={E2E_KEY}).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def app_extra_env() -> dict[str, str]:
    """Extra environment for the app of a test module; override it in a module to configure the app."""
    return {}


def app_env(base_url: str, history_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of an app that talks to the double at `base_url` and keeps history at `history_url`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_OPENAI_"))}
    return (
        env
        | {
            "OPENAI_API_KEY": E2E_KEY,
            "OPENAI_BASE_URL": base_url,
            "OPENAI_MODEL": "gpt-5-mini",
            "HISTORY_DATABASE_URL": history_url,
        }
        | (extra or {})
    )


def wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    """Poll the health endpoint (the Dockerfile's HEALTHCHECK too) until it answers 200."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{url} did not become healthy; see {log}")


def start_app(env: dict[str, str], log: Path) -> tuple[str, subprocess.Popen]:
    """`streamlit run Home.py` on a free port (its URL and process); call wait_healthy before using it."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "Home.py",
            "--server.headless=true",
            "--server.address=127.0.0.1",
            f"--server.port={port}",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    return f"http://127.0.0.1:{port}", process


@pytest.fixture(scope="module")
def app_url(
    e2e_fake: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory, app_extra_env: dict[str, str]
) -> Iterator[str]:
    """`streamlit run Home.py` on a free port, configured by environment to talk to the double."""
    data = tmp_path_factory.mktemp("app-data")
    log = data / "streamlit.log"
    url, process = start_app(app_env(e2e_fake.base_url, f"sqlite:///{data / 'history.db'}", app_extra_env), log)
    wait_healthy(url, process, log)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def fake(e2e_fake: FakeOpenAI) -> FakeOpenAI:
    """The module's double, emptied for this test."""
    e2e_fake.reset()
    return e2e_fake
