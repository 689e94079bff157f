"""Attack tests: the AppTest fixtures of tests/app, and a shared-mode deployment to attack."""

from __future__ import annotations

from pathlib import Path

import pytest

from lib.access import PasswordThrottle
from lib.ui import gate
from tests.app.conftest import app, clean_env, configured  # noqa: F401 - fixtures re-used here
from tests.fake_openai import FakeOpenAI
from tests.security.attack import CLOCK


@pytest.fixture
def shared_env(clean_env: Path, monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI) -> FakeOpenAI:
    """Shared mode on the owner's endpoint (the double); each test puts the owner's key where it wants."""
    monkeypatch.setenv("APP_MODE", "shared")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("OPENAI_MODEL", "gpt-5-mini")
    # A fresh throttle per test, on a clock the test moves instead of sleeping.
    monkeypatch.setattr(gate, "THROTTLE", PasswordThrottle(base_s=1.0, max_s=60.0, clock=CLOCK))
    return fake_openai


@pytest.fixture
def spy(fake_openai_factory) -> FakeOpenAI:
    """A server of the attacker's: it answers like the API and records every header it is sent."""
    return fake_openai_factory()
