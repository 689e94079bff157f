"""AppTest fixtures: the real app scripts, configured by environment to talk to the double."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
APP_KEY = "sk-apptest-key-0001"
BUDGET_NAMES = {"BUDGET_USD", "SESSION_BUDGET_USD", "MAX_OUTPUT_TOKENS"}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No OPENAI_* from the developer's shell, and a working directory with no .env or secrets."""
    import os

    for name in list(os.environ):
        # Streamlit copies top-level secrets into os.environ: an earlier test's cap must not leak in.
        if name.startswith(("OPENAI_", "AZURE_OPENAI_", "APP_", "HISTORY_", "ALLOWED_")) or name in BUDGET_NAMES:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HISTORY_DATABASE_URL", f"sqlite:///{tmp_path / 'history.db'}")
    return tmp_path


@pytest.fixture
def configured(clean_env: Path, monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI) -> FakeOpenAI:
    """The environment names the double and a key it accepts."""
    monkeypatch.setenv("OPENAI_API_KEY", APP_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("OPENAI_MODEL", "gpt-5-mini")
    return fake_openai


@pytest.fixture
def app() -> Callable[..., AppTest]:
    """A factory for the app at Home.py; query params may name a conversation."""

    def make(**query: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=30)
        for name, value in query.items():
            at.query_params[name] = value
        return at

    return make


@pytest.fixture
def shared_env(clean_env: Path, monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI) -> FakeOpenAI:
    """Shared mode on the owner's endpoint (the double); each test puts the owner's key where it wants."""
    from lib.access import PasswordThrottle
    from lib.ui import gate
    from tests.security.attack import CLOCK

    monkeypatch.setenv("APP_MODE", "shared")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("OPENAI_MODEL", "gpt-5-mini")
    # A fresh throttle per test, on a clock the test moves (CLOCK.now += …) instead of sleeping.
    monkeypatch.setattr(gate, "THROTTLE", PasswordThrottle(base_s=1.0, max_s=60.0, clock=CLOCK))
    return fake_openai
