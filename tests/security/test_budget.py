"""Attacks on the spending cap of the owner's key: each one is tried the way a visitor would, and must fail."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.runtime import Runtime

from lib import budget
from lib.pricing import cost_usd
from lib.store import HistoryStore, owner_for
from lib.ui import state
from tests.app.actions import click, send_message
from tests.fake_openai import FakeOpenAI, Text
from tests.security.attack import (
    OWNER_KEY,
    PASSWORD,
    VISITOR_KEY,
    alerts,
    enter_password,
    owner_app,
    signed_in,
)

USAGE = {
    "input_tokens": 2000,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 3000,
    "output_tokens_details": {"reasoning_tokens": 1000},
    "total_tokens": 5000,
}
ONE_TURN = cost_usd("gpt-5-mini", USAGE)
# Behind one app password, with no visitor address (as in AppTest), everyone is the key's owner.
IDENTITY = owner_for(None, OWNER_KEY)


def spent(clean_env) -> float:
    """What the history database counts for this identity today."""
    store = HistoryStore(f"sqlite:///{clean_env / 'history.db'}")
    try:
        return store.spend.spent(IDENTITY, budget.period())
    finally:
        store.close()


def test_new_chat_mid_answer_still_counts_the_turn(app, shared_env: FakeOpenAI, monkeypatch, clean_env) -> None:
    assert ONE_TURN
    # A slow answer: the page is still following it when the visitor presses New chat.
    shared_env.queue(Text("word " * 60, deltas=60, delay=0.1, usage=USAGE))  # about 6 s
    at = enter_password(owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD, BUDGET_USD="1").run())
    at.chat_input[0].set_value("Write slowly")
    # A timed-out AppTest run skips its own clean-up: put st.secrets and the runtime back after the test.
    monkeypatch.setattr(st, "secrets", st.secrets)
    monkeypatch.setattr(Runtime, "_instance", None)
    with pytest.raises(RuntimeError, match="timed out"):
        at.run(timeout=2.5)  # the script is stopped mid-answer; the turn's worker goes on
    job = at.session_state[state.JOB]
    assert not job.done
    click(at, "New chat")
    assert state.JOB not in at.session_state  # the page let go of the turn
    assert job.wait(15) and job.turn.status == "completed"
    assert spent(clean_env) == pytest.approx(ONE_TURN, abs=1e-9)  # the worst case reserved, then settled
    assert len(shared_env.response_requests()) == 1


def test_a_reload_keeps_the_spend(app, shared_env: FakeOpenAI, monkeypatch, clean_env) -> None:
    shared_env.queue(Text("Spent it.", usage=USAGE), Text("Never sent."))
    cap = f"{ONE_TURN * 0.9:.6f}"
    at = enter_password(owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD, BUDGET_USD=cap, MAX_OUTPUT_TOKENS=16).run())
    send_message(at, "one")
    assert spent(clean_env) == pytest.approx(ONE_TURN, abs=1e-9)  # the worker counted it before the page ended

    fresh = enter_password(
        owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD, BUDGET_USD=cap, MAX_OUTPUT_TOKENS=16).run()
    )  # a reload: a new session
    assert any(f"Spent \\${ONE_TURN:,.4f} of today's" in c.value for c in fresh.sidebar.caption)
    send_message(fresh, "two")
    assert not fresh.exception
    assert "budget" in alerts(fresh)
    assert len(shared_env.response_requests()) == 1


def test_a_typed_model_outside_allowed_models_is_refused(app, shared_env: FakeOpenAI, monkeypatch) -> None:
    shared_env.queue(Text("Never sent."))
    at = enter_password(
        owner_app(
            app, monkeypatch, APP_PASSWORD=PASSWORD, BUDGET_USD="0.05", ALLOWED_MODELS="gpt-5-mini, gpt-5-nano"
        ).run()
    )
    at.switch_page("app_pages/setup.py").run()
    assert any("gpt-5-mini, gpt-5-nano" in c.value for c in at.caption)  # Setup says which ones
    # AppTest cannot type a new option into the picker: put what Save would store for a typed "o1-pro".
    at.session_state[state.SETTINGS] = {"model": "o1-pro"}
    at.switch_page("app_pages/chat.py").run()
    send_message(at, "An expensive question")
    assert not at.exception
    assert "'o1-pro' may not be used on the app's key" in alerts(at)
    assert "gpt-5-mini, gpt-5-nano" in alerts(at)
    assert shared_env.response_requests() == []


def test_an_unpriced_model_is_refused_by_default(app, shared_env: FakeOpenAI, monkeypatch) -> None:
    at = enter_password(owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD, BUDGET_USD="0.05").run())
    at.session_state[state.SETTINGS] = {"model": "mystery-model-9000"}  # what Setup's free-text picker saves
    send_message(at.run(), "hello")
    assert "'mystery-model-9000' may not be used" in alerts(at) and "known price" in alerts(at)
    assert shared_env.response_requests() == []


def test_a_turn_that_could_cost_more_than_is_left_is_refused(app, shared_env: FakeOpenAI, monkeypatch) -> None:
    # o1-pro has a price, so it is allowed by default; 4096 output tokens of it cost far more than $0.05.
    at = enter_password(owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD, BUDGET_USD="0.05").run())
    at.session_state[state.SETTINGS] = {"model": "o1-pro"}
    send_message(at.run(), "hello")
    assert "could cost up to" in alerts(at)
    assert shared_env.response_requests() == []


def test_max_output_tokens_bounds_the_owners_key_only(app, shared_env: FakeOpenAI, monkeypatch) -> None:
    shared_env.queue(Text("Bounded."), Text("Yours."))
    at = enter_password(owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD, BUDGET_USD="1", MAX_OUTPUT_TOKENS=777).run())
    send_message(at, "on the owner's key")
    # The visitor brings their own key, and with it their own endpoint (the double, allowed on loopback).
    monkeypatch.setenv("ALLOWED_BASE_URLS", shared_env.base_url)
    at.session_state[state.SETTINGS] = {"api_key": VISITOR_KEY, "base_url": shared_env.base_url}
    at.session_state[state.THREAD] = state.Thread()
    send_message(at.run(), "on my key")
    first, second = shared_env.response_requests()
    assert first["max_output_tokens"] == 777
    assert "max_output_tokens" not in second


def test_the_cap_reached_stops_the_next_turn(app, shared_env: FakeOpenAI, monkeypatch, clean_env) -> None:
    shared_env.queue(Text("First.", usage=USAGE), Text("Never sent."))
    at = enter_password(
        owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD, BUDGET_USD=f"{ONE_TURN:.9f}", MAX_OUTPUT_TOKENS=16).run()
    )
    send_message(at, "one")
    assert spent(clean_env) == pytest.approx(ONE_TURN, abs=1e-9)
    send_message(at, "two")
    assert not at.exception
    assert "budget" in alerts(at) and "00:00 UTC" in alerts(at)
    assert [m.markdown[0].value for m in at.chat_message[:2]] == ["one", "First."]
    assert len(shared_env.response_requests()) == 1


def test_each_signed_in_person_has_their_own_budget(app, shared_env: FakeOpenAI, monkeypatch, clean_env) -> None:
    shared_env.queue(Text("Ann's answer.", usage=USAGE), Text("Bob's answer."))
    cap = f"{ONE_TURN * 0.9:.6f}"
    ann = signed_in(owner_app(app, monkeypatch, BUDGET_USD=cap, MAX_OUTPUT_TOKENS=16), "ann@example.com").run()
    send_message(ann, "one")
    send_message(ann, "two")
    assert "budget" in alerts(ann)  # Ann has spent her day's budget
    bob = signed_in(owner_app(app, monkeypatch, BUDGET_USD=cap, MAX_OUTPUT_TOKENS=16), "bob@example.com").run()
    assert any("Spent \\$0.0000 of today's" in c.value for c in bob.sidebar.caption)
    send_message(bob, "mine")
    assert not alerts(bob) and bob.chat_message[1].markdown[0].value == "Bob's answer."
    assert len(shared_env.response_requests()) == 2
