"""The chat and setup pages in AppTest, against the double."""

from __future__ import annotations

from pathlib import Path

from lib.pricing import cost_usd
from tests.app.actions import button, click, send_message
from tests.app.conftest import APP_KEY
from tests.fake_openai import Error, FakeOpenAI, Text


def test_no_key_sends_the_user_to_setup(app, clean_env: Path) -> None:
    at = app().run()
    assert not at.exception
    assert at.title[0].value == "Setup"
    assert "API key" in at.info[0].value
    assert at.text_input[0].label == "OpenAI API key"


def test_key_from_environment_opens_the_chat(app, configured: FakeOpenAI) -> None:
    at = app().run()
    assert not at.exception
    assert at.title[0].value == "Responses Studio"
    assert len(at.chat_input) == 1


def test_two_turns_share_a_conversation_and_send_only_the_new_message(app, configured: FakeOpenAI) -> None:
    configured.queue(Text("First answer."), Text("Second answer."))
    at = send_message(app().run(), "Hello there")
    at = send_message(at, "And again")
    assert not at.exception
    assert [m.name for m in at.chat_message] == ["user", "assistant", "user", "assistant"]
    assert at.chat_message[1].markdown[0].value == "First answer."
    assert at.chat_message[3].markdown[0].value == "Second answer."
    first, second = configured.response_requests()
    conversation = first["conversation"]
    assert conversation.startswith("conv_") and second["conversation"] == conversation
    assert second["input"] == [{"role": "user", "content": "And again"}]
    assert "previous_response_id" not in second
    assert at.query_params["conversation"] == conversation
    auth = {r.headers.get("authorization") for r in configured.requests}
    assert auth == {f"Bearer {APP_KEY}"}


def test_usage_is_shown_under_the_answer(app, configured: FakeOpenAI) -> None:
    configured.queue(
        Text(
            "Counted.",
            usage={
                "input_tokens": 12,
                "input_tokens_details": {"cached_tokens": 4},
                "output_tokens": 30,
                "output_tokens_details": {"reasoning_tokens": 20},
                "total_tokens": 42,
            },
        )
    )
    at = send_message(app().run(), "Count")
    caption = at.chat_message[1].caption[0].value
    expected_cost = cost_usd(
        "gpt-5-mini",
        {
            "input_tokens": 12,
            "input_tokens_details": {"cached_tokens": 4},
            "output_tokens": 30,
            "output_tokens_details": {"reasoning_tokens": 20},
        },
    )
    assert expected_cost is not None and expected_cost < 0.01  # under a cent: six digits, so it does not read $0.0000
    assert caption.startswith(f"12 in (4 cached) · 30 out (20 reasoning) · ${expected_cost:.6f} · ")


def test_rate_limit_shows_a_message_and_keeps_the_prompt(app, configured: FakeOpenAI) -> None:
    configured.queue(
        Error(
            429,
            "Rate limit reached for requests",
            code="rate_limit_exceeded",
            type="requests",
            headers={"Retry-After": "60"},
        )
    )
    at = send_message(app().run(), "Please answer")
    assert not at.exception
    assert at.chat_message[0].markdown[0].value == "Please answer"
    error = at.chat_message[1].error[0].value
    assert "Rate limited (429)" in error and "in 60 s" in error
    assert at.chat_input[0].value == "Please answer"
    assert len(configured.response_requests()) == 1  # a wait that long is reported, not sat through


def test_rate_limits_are_retried_visibly_then_answered(app, configured: FakeOpenAI) -> None:
    # The server's own wait, in milliseconds: honoured (not the client's backoff of seconds), and no sleep here.
    limit = Error(
        429, "Rate limit reached", code="rate_limit_exceeded", type="requests", headers={"retry-after-ms": "1"}
    )
    configured.queue(limit, limit, Text("Finally."))
    at = send_message(app().run(), "Hello")
    assistant = at.chat_message[1]
    assert assistant.markdown[0].value == "Finally."
    assert assistant.caption[0].value.endswith("retried 2 times")
    shown = [e.value for e in [*at.markdown, *at.caption, *at.info, *at.warning, *at.error]]
    assert not [text for text in shown if "Retrying" in text]  # the retry notice went once the answer came
    assert len(configured.response_requests()) == 3


def test_bad_key_names_the_key(app, configured: FakeOpenAI) -> None:
    configured.queue(Error(401, "Incorrect API key provided", code="invalid_api_key"))
    at = send_message(app().run(), "Hi")
    assert "API key was refused" in at.chat_message[1].error[0].value
    assert len(configured.response_requests()) == 1


def test_cut_stream_keeps_the_partial_answer(app, configured: FakeOpenAI) -> None:
    configured.queue(Text("one two three four five six", cut_after=6))
    at = send_message(app().run(), "Count to six")
    assistant = at.chat_message[1]
    assert assistant.markdown[0].value.startswith("one")
    assert "dropped" in assistant.warning[0].value


def test_reload_with_conversation_in_url_restores_the_transcript(app, configured: FakeOpenAI) -> None:
    configured.queue(Text("Remembered."))
    at = send_message(app().run(), "Remember me")
    conversation = at.query_params["conversation"]
    fresh = app(conversation=conversation).run()
    assert not fresh.exception
    assert [m.name for m in fresh.chat_message] == ["user", "assistant"]
    assert fresh.chat_message[0].markdown[0].value == "Remember me"
    assert fresh.chat_message[1].markdown[0].value == "Remembered."


def test_without_conversations_api_turns_chain_by_previous_response_id(app, clean_env, monkeypatch) -> None:
    from tests.fake_openai import FakeOpenAI as Fake

    with Fake(conversations=False) as fake:
        monkeypatch.setenv("OPENAI_API_KEY", APP_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        at = send_message(app().run(), "One")
        at = send_message(at, "Two")
        first, second = fake.response_requests()
        assert "conversation" not in first and "previous_response_id" not in first
        assert second["previous_response_id"].startswith("resp_")
        response_id = at.query_params["response"]
        fresh = app(response=response_id).run()
        assert [m.markdown[0].value for m in fresh.chat_message] == ["One", "Echo: One", "Two", "Echo: Two"]
        next(b for b in at.sidebar.button if b.label == "New chat").click().run()
        send_message(at, "Three")
        tries = [r for r in fake.requests if r.method == "POST" and r.path == "/v1/conversations"]
        assert len(tries) == 1  # found out once for this endpoint, not again for each new chat


def test_a_long_chat_draws_its_recent_turns_and_offers_the_rest(app, configured: FakeOpenAI) -> None:
    from lib.ui.chat_flow import RECENT_TURNS

    at = app().run()
    for number in range(RECENT_TURNS + 3):
        send_message(at, f"Turn {number}")
    at.run()
    assert len(at.chat_message) == 2 * RECENT_TURNS
    assert at.chat_message[0].markdown[0].value == "Turn 3"
    more = button(at, "Show 3 earlier turns")
    more.click().run()
    assert len(at.chat_message) == 2 * (RECENT_TURNS + 3)
    assert at.chat_message[0].markdown[0].value == "Turn 0"


def test_continue_after_a_cut_answer_asks_for_the_rest_in_the_same_conversation(app, configured: FakeOpenAI) -> None:
    from lib.ui.transcript import CONTINUE_PROMPT

    configured.queue(Text("one two three four five six", cut_after=6), Text("five six."))
    at = send_message(app().run(), "Count")
    at.run()
    click(at, "Continue")
    first, second = configured.response_requests()
    assert second["input"] == [{"role": "user", "content": CONTINUE_PROMPT}]
    assert second["conversation"] == first["conversation"]
    assert at.chat_message[3].markdown[0].value == "five six."


def test_unknown_events_and_keep_alive_comments_do_not_disturb_the_answer(app, configured: FakeOpenAI) -> None:
    configured.queue(
        Text("Still here.", extra=({"type": "response.ping"}, ": keep-alive", {"type": "response.heartbeat"}))
    )
    at = send_message(app().run(), "Ping?")
    assert not at.exception
    assert at.chat_message[1].markdown[0].value == "Still here." and not at.chat_message[1].warning
