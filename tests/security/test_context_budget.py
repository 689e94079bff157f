"""Compaction spends the owner's key too: it is admitted and counted like a turn."""

from __future__ import annotations

import pytest

from lib.pricing import cost_usd
from tests.app.actions import send_message as chat
from tests.fake_openai import FakeOpenAI, Text
from tests.security.attack import PASSWORD, alerts, enter_password, owner_app
from tests.security.test_budget import ONE_TURN, USAGE, spent


def compactions(fake: FakeOpenAI) -> list:
    return [r for r in fake.requests if r.path == "/v1/responses/compact"]


def test_a_compaction_on_the_owners_key_is_counted(app, shared_env: FakeOpenAI, monkeypatch, clean_env) -> None:
    shared_env.queue(Text("Spent it.", usage=USAGE))
    at = enter_password(owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD, BUDGET_USD="5").run())
    chat(at, "one")
    at.sidebar.button(key="context_compact").click().run()
    assert not at.exception and len(compactions(shared_env)) == 1
    # the double compacts "one" (1 token) and "Spent it." (3) into one token
    compaction = cost_usd("gpt-5-mini", {"input_tokens": 4, "output_tokens": 1})
    assert compaction
    assert spent(clean_env) == pytest.approx(ONE_TURN + compaction, abs=2e-9)  # 9 decimals kept


def test_past_the_cap_compact_is_refused_before_any_request(app, shared_env: FakeOpenAI, monkeypatch) -> None:
    shared_env.queue(Text("Spent it.", usage=USAGE))
    at = enter_password(
        owner_app(
            app, monkeypatch, APP_PASSWORD=PASSWORD, BUDGET_USD=f"{ONE_TURN * 0.9:.6f}", MAX_OUTPUT_TOKENS=16
        ).run()
    )
    chat(at, "one")
    at.sidebar.button(key="context_compact").click().run()
    assert not at.exception
    assert "budget" in alerts(at)
    assert compactions(shared_env) == []
