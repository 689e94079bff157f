"""Every finished response lands in the history store once; closed or expired conversations take no turns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from lib.pricing import cost_usd
from lib.store import HistoryStore, ResponseFilter, owner_for
from lib.store.schema import conversations
from tests.app.actions import send_message
from tests.app.conftest import APP_KEY
from tests.fake_openai import Error, FakeOpenAI, Text

USAGE = {
    "input_tokens": 10,
    "input_tokens_details": {"cached_tokens": 3},
    "output_tokens": 4,
    "output_tokens_details": {"reasoning_tokens": 1},
    "total_tokens": 14,
}


def store_of(clean_env) -> HistoryStore:
    return HistoryStore(f"sqlite:///{clean_env / 'history.db'}")


def test_each_response_is_recorded_with_its_numbers(app, configured: FakeOpenAI, clean_env) -> None:
    configured.queue(Text("First answer.", usage=USAGE), Text("Second answer.", usage=USAGE))
    at = app().run()
    send_message(at, "What is first?")
    send_message(at, "And second?")
    owner = owner_for(None, APP_KEY)
    rows = store_of(clean_env).responses(ResponseFilter(owner=owner), order_by="created_at", descending=False)
    conversation = at.query_params["conversation"]
    stored_ids = [r["id"] for r in rows]
    assert len(rows) == 2 and all(i.startswith("resp_") for i in stored_ids)
    first = rows[0]
    assert (first["conversation_id"], first["model"], first["status"]) == (conversation, "gpt-5-mini", "completed")
    assert (first["input_tokens"], first["cached_tokens"], first["output_tokens"], first["reasoning_tokens"]) == (
        10,
        3,
        4,
        1,
    )
    assert first["cost_usd"] == cost_usd("gpt-5-mini", USAGE)
    assert (first["input_preview"], first["output_preview"]) == ("What is first?", "First answer.")
    assert rows[1]["output_preview"] == "Second answer." and rows[1]["latency_ms"] >= 0
    convo = store_of(clean_env).conversation(owner, conversation)
    assert convo["title"] == "What is first?" and convo["status"] == "active"
    assert store_of(clean_env).responses(ResponseFilter(owner=owner_for(None, "sk-other"))) == []


def test_failed_and_cut_responses_are_recorded_as_they_ended(app, configured: FakeOpenAI, clean_env) -> None:
    configured.queue(Text("one two three four five", cut_after=6))
    at = app().run()
    send_message(at, "Cut me")
    (row,) = store_of(clean_env).responses(ResponseFilter(owner=owner_for(None, APP_KEY)))
    assert row["status"] == "incomplete" and "dropped" in row["error"]
    assert row["output_preview"].startswith("one")


def test_a_rejected_request_records_nothing(app, configured: FakeOpenAI, clean_env) -> None:
    configured.queue(Error(429, "Slow down", headers={"Retry-After": "120"}))
    send_message(app().run(), "Too fast")
    assert store_of(clean_env).count_responses(ResponseFilter(owner=owner_for(None, APP_KEY))) == 0


def test_closed_conversation_takes_no_new_turn(app, configured: FakeOpenAI, clean_env) -> None:
    at = app().run()
    send_message(at, "Hello")
    conversation = at.query_params["conversation"]
    store_of(clean_env).set_conversation_status(owner_for(None, APP_KEY), conversation, "closed")
    send_message(at, "Still there?")
    assert "was closed" in at.warning[0].value
    assert len(configured.response_requests()) == 1
    assert at.chat_input[0].value == "Still there?"


def test_idle_conversation_expires_with_ttl(app, configured: FakeOpenAI, clean_env, monkeypatch) -> None:
    monkeypatch.setenv("CONVERSATION_TTL_MINUTES", "30")
    at = app().run()
    send_message(at, "Hello")
    conversation = at.query_params["conversation"]
    store = store_of(clean_env)
    with store.engine.begin() as conn:  # an hour passes without use
        conn.execute(
            update(conversations)
            .where(conversations.c.id == conversation)
            .values(last_used_at=datetime.now(UTC) - timedelta(hours=1))
        )
    send_message(at, "Anyone?")
    assert "expired" in at.warning[0].value and "Start a new chat" in at.warning[0].value
    assert len(configured.response_requests()) == 1
