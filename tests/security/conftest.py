"""Attack tests: the AppTest fixtures of tests/app, and a shared-mode deployment to attack."""

from __future__ import annotations

import pytest

from tests.app.conftest import app, clean_env, configured, shared_env  # noqa: F401 - fixtures re-used here
from tests.fake_openai import FakeOpenAI


@pytest.fixture
def spy(fake_openai_factory) -> FakeOpenAI:
    """A server of the attacker's: it answers like the API and records every header it is sent."""
    return fake_openai_factory()
