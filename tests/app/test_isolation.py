"""Twenty visitors at once on one shared deployment, each with their own key: no key crosses or lands anywhere."""

from __future__ import annotations

import importlib
import json
import logging
import os
import pkgutil
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from unittest.mock import MagicMock

import pytest
from streamlit.testing.v1 import AppTest

from lib.pricing import cost_usd
from tests.app.actions import click, send_message
from tests.app.conftest import ROOT
from tests.fake_openai import FakeOpenAI

SESSIONS = 20
SKIPPED_DIRS = {".venv", ".git", "node_modules"}  # installed packages and git's packed objects, not app output


class Everything(logging.Handler):
    """Keeps every formatted record, whatever its logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def all_logs():
    """Every log record at DEBUG from the app, the SDK, its HTTP layer and Streamlit, for the test's length."""
    handler = Everything()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    names = ["", "openai", "httpx2", "httpx", "httpcore", "streamlit", "lib"]
    saved = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield handler.lines
    for name, level in saved.items():
        logging.getLogger(name).removeHandler(handler)
        logging.getLogger(name).setLevel(level)


@pytest.fixture
def one_runtime(monkeypatch: pytest.MonkeyPatch):
    """One Streamlit runtime for every AppTest, as one server process has; safe for concurrent runs.

    Each AppTest run installs its own mock Runtime in a class attribute and patches
    `config.get_option`, then undoes both when it ends: concurrent runs would tear each other's
    down. Here they write to a subclass nobody reads, and the config patch is held once around all.
    Each run also compiles the pages anew, and CPython 3.11 can fail compiling in two threads at
    once ("AST constructor recursion depth mismatch"): the server's one locked script cache avoids that.
    """
    from streamlit.components.v2.component_manager import BidiComponentManager
    from streamlit.runtime import Runtime
    from streamlit.runtime.caching.storage.dummy_cache_storage import MemoryCacheStorageManager
    from streamlit.runtime.dataframe_source_manager import DataframeSourceManager
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test
    from streamlit.testing.v1.util import patch_config_options

    runtime = MagicMock(spec=Runtime)
    runtime.media_file_mgr = MediaFileManager(MemoryMediaFileStorage("/mock/media"))
    runtime.dataframe_source_mgr = DataframeSourceManager()
    runtime.cache_storage_manager = MemoryCacheStorageManager()
    components = BidiComponentManager()
    components.discover_and_register_components(start_file_watching=False)
    runtime.bidi_component_registry = components

    class PerRunRuntime(Runtime):
        """Takes the per-run writes AppTest makes to `Runtime._instance`."""

    monkeypatch.setattr(app_test, "Runtime", PerRunRuntime)
    monkeypatch.setattr(app_test, "patch_config_options", lambda overrides: nullcontext())
    scripts = ScriptCache()
    monkeypatch.setattr(app_test, "ScriptCache", lambda: scripts)
    monkeypatch.setattr(Runtime, "_instance", runtime)
    with patch_config_options({"global.appTest": True}):
        yield runtime


def files_under(*roots: Path) -> list[Path]:
    found = []
    for root in roots:
        for directory, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
            found += [Path(directory) / name for name in names]
    return found


def exports_of(database: Path, keys: list[str]) -> str:
    """CSV and JSON exports of every visitor's recorded responses (each visitor must have some)."""
    assert database.exists(), "the visitors' turns were not recorded in the history database"
    from lib.export import csv_chunks, json_chunks
    from lib.store import HistoryStore, ResponseFilter, owner_for

    store = HistoryStore(f"sqlite:///{database}")
    try:
        texts = []
        for key in keys:
            rows = list(store.iter_responses(ResponseFilter(owner=owner_for(None, key))))
            assert rows, "a visitor's turn was not recorded under their own key's owner"
            texts += ["".join(csv_chunks(rows)), "".join(json_chunks(rows))]
        return "\n".join(texts)
    finally:
        store.close()


def visit(number: int, key: str, prompt: str, everyone_saved: threading.Barrier, runtime: MagicMock) -> AppTest:
    """One visitor: lands on Setup, pastes their key, saves, waits for the others, chats once."""
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60)
    # The runtime's component registry, not a fresh scan of every installed package (~1 s each).
    at._bidi_component_manager = runtime.bidi_component_registry
    at.run()
    assert at.title[0].value == "Setup", f"session {number} did not start on Setup"
    at.text_input[0].set_value(key)
    click(at, "Save")
    everyone_saved.wait(timeout=60)  # every session holds a key before any of them talks to the API
    send_message(at, prompt)
    return at


def test_twenty_concurrent_visitors_keep_their_keys_to_themselves(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, fake_openai_factory, all_logs: list[str], capfd, one_runtime
) -> None:
    keys = [f"sk-iso-{n:02d}-{secrets.token_hex(12)}" for n in range(SESSIONS)]
    markers = [f"visitor{n:02d}x{secrets.token_hex(4)}" for n in range(SESSIONS)]
    prompts = [f"{marker} asks a question" for marker in markers]
    fake: FakeOpenAI = fake_openai_factory(api_keys=set(keys))  # any other key, or none, gets a 401
    monkeypatch.setenv("APP_MODE", "shared")
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    monkeypatch.setenv("OPENAI_MODEL", "gpt-5-mini")

    # CPython 3.11 can fail compiling in two threads at once, and with no .pyc here every first import
    # compiles: draw Setup once and price once first, so the sessions only race on what they share.
    for module in pkgutil.walk_packages([str(ROOT / "lib")], "lib."):  # every module a page may import late
        importlib.import_module(module.name)
    warm = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60)
    warm._bidi_component_manager = one_runtime.bidi_component_registry
    warm.run()
    cost_usd("gpt-5-mini", {"input_tokens": 1, "output_tokens": 1})

    barrier = threading.Barrier(SESSIONS)
    with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        runs = [pool.submit(visit, n, keys[n], prompts[n], barrier, one_runtime) for n in range(SESSIONS)]
        sessions = [run.result(timeout=120) for run in runs]

    # Each visitor got the answer to their own question (the double echoes the prompt).
    for n, at in enumerate(sessions):
        assert not at.exception, f"session {n}: {at.exception}"
        assert [m.markdown[0].value for m in at.chat_message] == [prompts[n], f"Echo: {prompts[n]}"]

    # Every request carried one of the twenty keys, and each marked request its own session's key.
    bearer = {f"Bearer {key}": n for n, key in enumerate(keys)}
    per_session = [0] * SESSIONS
    for request in fake.requests:
        assert request.headers.get("authorization") in bearer, f"{request.method} {request.path}: unknown key"
        text = request.path + json.dumps(request.body)
        owners = [n for n, marker in enumerate(markers) if marker in text]
        if owners:
            (n,) = owners
            assert bearer[request.headers["authorization"]] == n, f"session {n}'s request carried another key"
            per_session[n] += 1
    assert all(count >= 2 for count in per_session), per_session  # the conversation, then the response

    # No key anywhere it could outlive the session: the environment, files, the history database, logs,
    # and what History would export for each visitor.
    exports = exports_of(clean_env / "history.db", keys)
    environment = "\n".join(f"{name}={value}" for name, value in os.environ.items())
    files = files_under(ROOT, clean_env)
    assert any(path.suffix in {".py", ".toml"} for path in files)
    contents = {path: path.read_bytes() for path in files if path.is_file()}
    out, err = capfd.readouterr()
    logs = "\n".join(all_logs)
    assert logs, "the log capture saw nothing"
    for key in keys:
        assert key not in environment
        assert not [path for path, data in contents.items() if key.encode() in data]
        assert key not in logs and key not in out and key not in err
        assert key not in exports
