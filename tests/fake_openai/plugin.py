"""Pytest fixture for the double: load with `pytest_plugins = ["tests.fake_openai.plugin"]`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import FakeOpenAI


@pytest.fixture
def fake_openai(request: pytest.FixtureRequest) -> Iterator[FakeOpenAI]:
    """One started FakeOpenAI per test; indirect parametrization may pass its keyword arguments."""
    options = getattr(request, "param", None) or {}
    with FakeOpenAI(**options) as fake:
        yield fake
