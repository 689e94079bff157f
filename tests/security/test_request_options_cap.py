"""A visitor on the owner's key sets the request controls: the owner's output cap still bounds every request."""

from __future__ import annotations

from lib.request_options import RequestOptions
from lib.ui import state
from tests.fake_openai import FakeOpenAI, Text
from tests.security.attack import PASSWORD, enter_password, owner_app


def chat(at, prompt: str):
    at.chat_input[0].set_value(prompt)
    return at.run()


def test_a_visitors_larger_max_output_tokens_cannot_lift_the_owners_cap(
    app, shared_env: FakeOpenAI, monkeypatch
) -> None:
    shared_env.queue(Text("Capped."), Text("Smaller."))
    at = enter_password(owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD, BUDGET_USD="1", MAX_OUTPUT_TOKENS=777).run())
    at.session_state[state.SETTINGS] = {"options": RequestOptions(max_output_tokens=100_000)}
    chat(at.run(), "as long as you like")
    # Their own smaller limit is theirs to choose.
    at.session_state[state.SETTINGS] = {"options": RequestOptions(max_output_tokens=100)}
    chat(at.run(), "short please")
    first, second = shared_env.response_requests()
    assert first["max_output_tokens"] == 777
    assert second["max_output_tokens"] == 100


def test_setup_says_the_cap_wins_on_the_owners_key(app, shared_env: FakeOpenAI, monkeypatch) -> None:
    at = enter_password(owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD, MAX_OUTPUT_TOKENS=777).run())
    at.switch_page("app_pages/setup.py").run()
    assert "capped at 777" in at.number_input(key="request_max_output_tokens").help


def test_priority_on_the_owners_key_is_reserved_at_the_priority_price(app, shared_env: FakeOpenAI, monkeypatch) -> None:
    # gpt-5-mini output: $2 per million standard, $3.60 priority; 10,000 tokens at most: $0.02 or $0.036.
    shared_env.queue(Text("Standard."))
    at = enter_password(
        owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD, BUDGET_USD="0.03", MAX_OUTPUT_TOKENS=10_000).run()
    )
    at.session_state[state.SETTINGS] = {"options": RequestOptions(service_tier="priority")}
    chat(at.run(), "fast please")
    assert "could cost up to" in " ".join(e.value for e in [*at.error, *at.warning])
    assert shared_env.response_requests() == []
    at.session_state[state.SETTINGS] = {"options": RequestOptions(service_tier="flex")}
    chat(at.run(), "slow is fine")
    assert [r["service_tier"] for r in shared_env.response_requests()] == ["flex"]
