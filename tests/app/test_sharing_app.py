"""Shared mode in AppTest: the owner's key only behind a login or app password, the cap, the share link."""

from __future__ import annotations

import importlib.util

import pytest
from streamlit.testing.v1 import AppTest

from lib.pricing import cost_usd
from lib.ui import gate
from tests.app.actions import click, send_message
from tests.fake_openai import FakeOpenAI, Text
from tests.security.attack import (
    CLOCK,
    OWNER_KEY,
    PASSWORD,
    VISITOR_KEY,
    alerts,
    enter_password,
    owner_app,
    tree_text,
)

USAGE = {
    "input_tokens": 2000,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 3000,
    "output_tokens_details": {"reasoning_tokens": 1000},
    "total_tokens": 5000,
}


def bearer_keys(fake: FakeOpenAI) -> set[str]:
    return {r.headers.get("authorization", "") for r in fake.requests}


@pytest.mark.parametrize("where", ["secrets", "environment"])
def test_owner_key_without_login_or_password_is_refused(app, shared_env, monkeypatch, where) -> None:
    at = owner_app(app, monkeypatch, where).run()
    assert not at.exception
    assert "will not use it" in at.error[0].value and "APP_PASSWORD" in at.error[0].value
    assert "[auth]" in at.error[0].value
    assert at.title[0].value == "Setup" and not at.chat_input
    assert OWNER_KEY[-4:] not in tree_text(at)
    assert shared_env.requests == []


def test_refused_owner_key_still_lets_a_visitor_bring_their_own(app, shared_env, monkeypatch) -> None:
    shared_env.queue(Text("On your own key."))
    monkeypatch.setenv("ALLOWED_BASE_URLS", shared_env.base_url)  # the double is on loopback
    at = owner_app(app, monkeypatch).run()
    at.text_input[0].set_value(VISITOR_KEY).run()
    # An own key goes to an endpoint of the visitor's choosing (the app's is not lent to it).
    next(t for t in at.text_input if t.label == "Base URL").set_value(shared_env.base_url)
    click(at, "Save")
    assert at.title[0].value == "Responses Studio" and not at.error
    send_message(at, "Hello")
    assert at.chat_message[1].markdown[0].value == "On your own key."
    assert bearer_keys(shared_env) == {f"Bearer {VISITOR_KEY}"}


def test_app_password_wrong_then_right(app, shared_env, monkeypatch) -> None:
    shared_env.queue(Text("Welcome in."))
    at = owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD).run()
    assert not at.exception and not at.chat_input
    assert at.text_input(key=gate.PASSWORD_INPUT).label == "App password"

    wrong = "tr0ub4dor-and-2"
    at = enter_password(at, wrong)
    assert "Wrong password" in at.error[0].value
    assert not at.chat_input and at.title[0].value == "Responses Studio"
    for secret in (wrong, PASSWORD):
        assert secret not in tree_text(at)
        assert secret not in repr(at.session_state.to_dict())
    assert shared_env.requests == []

    CLOCK.now += 1.0  # the wait after one wrong try
    at = enter_password(at, PASSWORD)
    assert not at.exception and len(at.chat_input) == 1
    assert PASSWORD not in tree_text(at) and PASSWORD not in repr(at.session_state.to_dict())
    send_message(at, "Hi")
    assert at.chat_message[1].markdown[0].value == "Welcome in."
    assert bearer_keys(shared_env) == {f"Bearer {OWNER_KEY}"}


def test_a_try_during_the_wait_is_not_even_compared(app, shared_env, monkeypatch) -> None:
    at = enter_password(owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD).run(), "nope")
    CLOCK.now += 0.5
    at = enter_password(at, PASSWORD)
    assert "Too many wrong tries" in at.error[0].value and not at.chat_input


def test_login_configured_asks_to_sign_in_then_lets_the_user_in(app, shared_env, monkeypatch) -> None:
    shared_env.queue(Text("Hello Ann."))
    auth = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "c" * 32,
        "client_id": "id",
        "client_secret": "s",
        "server_metadata_url": "https://accounts.example.com/.well-known/openid-configuration",
    }
    at = owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD, ALLOWED_EMAILS="@example.com")
    at.secrets["auth"] = auth
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.chat_input and not at.text_input  # login wins over the password
    if importlib.util.find_spec("authlib"):
        assert [b.label for b in at.button] == ["Log in"]
    else:
        assert "Authlib is not installed" in at.error[0].value

    at.user = {"is_logged_in": True, "email": "eve@elsewhere.org"}
    at.run()
    assert "may not use this app" in at.error[0].value and not at.chat_input

    at.user = {"is_logged_in": True, "email": "ann@example.com"}
    at.run()
    assert not at.exception and len(at.chat_input) == 1
    assert "ann@example.com" in at.sidebar.caption[0].value.replace("\\", "")
    send_message(at, "Hi")
    assert at.chat_message[1].markdown[0].value == "Hello Ann."
    assert bearer_keys(shared_env) == {f"Bearer {OWNER_KEY}"}


def test_served_off_localhost_is_shared_even_with_the_key_in_the_environment(app, configured) -> None:
    at = app()
    at.context["url"] = "https://team-studio.streamlit.app"
    at.run()
    assert "will not use it" in at.error[0].value and not at.chat_input
    assert not [c for c in at.checkbox if c.key == "setup_save_dotenv"]
    assert configured.requests == []


def test_setup_shows_mode_and_sources_but_no_secret(app, shared_env, monkeypatch) -> None:
    at = owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD, SESSION_BUDGET_USD="0.25")
    at = enter_password(at.run(), PASSWORD)
    at.switch_page("app_pages/setup.py").run()
    assert not at.exception
    assert at.expander[0].label.startswith("Mode: shared")
    text = tree_text(at)
    assert "the app's key" in text and "$0.25" in text
    for secret in (OWNER_KEY, OWNER_KEY[-4:], PASSWORD):
        assert secret not in text
    assert not [c for c in at.checkbox if c.key == "setup_save_dotenv"]


def budget_script() -> None:
    """A page that counts the turns the test says under this session's identity, then asks whether one may start."""
    import streamlit as st

    from lib.stream import Turn
    from lib.ui import budget, context, state

    st.session_state[state.ACCESS] = True  # as if the app password was entered
    current = context.page()
    tab = budget.open_tab(current, reserve=False)
    for cost in st.session_state.pop("costs", []):
        if tab is not None:
            tab.settle(Turn(prompt="", response_id="resp_1", cost_usd=cost))
    st.markdown(budget.refusal(current) or "allowed")


def test_spending_cap_counts_only_the_owners_key(clean_env, monkeypatch) -> None:
    monkeypatch.setenv("APP_MODE", "shared")
    monkeypatch.setenv("OPENAI_API_KEY", OWNER_KEY)
    monkeypatch.setenv("SESSION_BUDGET_USD", "0.10")  # the old name still works
    at = AppTest.from_function(budget_script, default_timeout=30).run()
    assert at.markdown[0].value == "allowed"
    at.session_state["costs"] = [0.04, None, 0.05]
    assert at.run().markdown[0].value == "allowed"
    at.session_state["costs"] = [0.01]
    refusal = at.run().markdown[0].value
    assert "budget" in refusal and "\\$0.1000" in refusal
    at.session_state[gate.state.SETTINGS] = {"api_key": VISITOR_KEY}  # their own key: no cap
    assert at.run().markdown[0].value == "allowed"


def test_spending_cap_stops_the_next_turn_and_keeps_the_transcript(app, shared_env, monkeypatch) -> None:
    one_turn = cost_usd("gpt-5-mini", USAGE)
    assert one_turn
    shared_env.queue(Text("First.", usage=USAGE), Text("Second.", usage=USAGE), Text("Never sent."))
    # A small output bound keeps the second turn's worst case under what is left, so it runs.
    at = owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD, BUDGET_USD=f"{one_turn * 1.5:.6f}", MAX_OUTPUT_TOKENS=16)
    at = enter_password(at.run(), PASSWORD)
    for prompt in ("one", "two", "three"):
        send_message(at, prompt)
    assert not at.exception
    assert "budget" in alerts(at)
    assert [m.markdown[0].value for m in at.chat_message[:4]] == ["one", "First.", "two", "Second."]
    assert len(shared_env.response_requests()) == 2


def share_script() -> None:
    import streamlit as st

    from lib.conversations import Thread
    from lib.ui.share import render_share_link, share_link

    assert share_link(Thread()) is None
    render_share_link(Thread(conversation_id=st.session_state.get("conversation", "conv_abc123")))


def test_share_link_names_the_conversation() -> None:
    at = AppTest.from_function(share_script).run()
    assert not at.exception
    assert at.code[0].value == "/?conversation=conv_abc123"
    at.context["url"] = "https://team-studio.streamlit.app"
    at.session_state["conversation"] = "conv_x&y"
    assert at.run().code[0].value == "https://team-studio.streamlit.app/?conversation=conv_x%26y"


def test_a_shared_link_does_not_open_for_another_user(app, shared_env, monkeypatch) -> None:
    shared_env.queue(Text("Ann's secret plan."))
    auth = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "c" * 32,
        "client_id": "id",
        "client_secret": "s",
        "server_metadata_url": "https://example.com/.well-known/x",
    }
    ann = owner_app(app, monkeypatch)
    ann.secrets["auth"] = auth
    ann.user = {"is_logged_in": True, "email": "ann@example.com"}
    send_message(ann.run(), "My plan")
    conversation = ann.query_params["conversation"]

    bob = owner_app(app, monkeypatch, where="secrets")
    bob.secrets["auth"] = auth
    bob.user = {"is_logged_in": True, "email": "bob@example.com"}
    bob.query_params["conversation"] = conversation
    bob.run()
    assert not bob.exception
    assert "Ann's secret plan." not in tree_text(bob)
    assert "belongs to someone else" in alerts(bob)

    again = owner_app(app, monkeypatch)
    again.secrets["auth"] = auth
    again.user = {"is_logged_in": True, "email": "ann@example.com"}
    again.query_params["conversation"] = conversation
    assert "Ann's secret plan." in tree_text(again.run())
