"""Fixtures every test folder shares."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.fake_openai import FakeOpenAI

pytest_plugins = ["tests.fake_openai.plugin", "tests.db"]  # fixtures: the double; store_url, history_store


@pytest.fixture
def fake_openai_factory() -> Iterator[Callable[..., FakeOpenAI]]:
    """Start doubles with custom options (keys, models, no Conversations API); all stopped after the test."""
    started: list[FakeOpenAI] = []

    def make(**options: object) -> FakeOpenAI:
        started.append(FakeOpenAI(**options).start())
        return started[-1]

    yield make
    for fake in started:
        fake.stop()
