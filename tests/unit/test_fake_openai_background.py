"""The double's background mode: queued runs, dropped streams resumed with `starting_after`, cancel."""

from __future__ import annotations

import time
from typing import Any

import openai
import pytest
from openai import OpenAI

from tests.fake_openai import Error, Failed, FakeOpenAI, FunctionCall, Message, Reply, Text
from tests.unit.test_fake_openai import MODEL, RESPONSE, client_for, raw_stream, validate

# 91 words: with created, queued, in_progress and the message's own events, 100 events in all.
LONG_TEXT = " ".join(f"word{number}" for number in range(91)) + "."


def wait_for(client: OpenAI, response_id: str, status: str, seen: list[str], limit: float = 2.0) -> None:
    """Poll `retrieve` until the response reaches `status`, recording every status seen."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        seen.append(client.responses.retrieve(response_id).status or "")
        if seen[-1] == status:
            return
        time.sleep(0.01)
    raise AssertionError(f"still {seen[-1]!r}, never {status!r}")


def texts(events: list[Any]) -> str:
    """The joined output_text deltas of typed events."""
    return "".join(event.delta for event in events if event.type == "response.output_text.delta")


def test_background_stream_starts_queued_and_validates(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Reply(Message("one two three"), FunctionCall("f", {"a": 1})))
    events, _ = raw_stream(client_for(fake_openai), input="x", background=True, tools=[])
    validate(events)
    assert [event["type"] for event in events[:3]] == ["response.created", "response.queued", "response.in_progress"]
    assert [event["response"]["status"] for event in events[:3]] == ["queued", "queued", "in_progress"]
    assert events[0]["response"]["background"] is True
    assert [event["sequence_number"] for event in events] == list(range(len(events)))
    final = RESPONSE.validate_python(events[-1]["response"])
    assert final.status == "completed" and [item.type for item in final.output] == ["message", "function_call"]
    stored = client_for(fake_openai).responses.retrieve(final.id)
    assert stored.status == "completed" and stored.output_text == "one two three"


def test_dropped_background_stream_resumes_after_the_last_event_seen(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Reply(Message(LONG_TEXT), delay=0.002, cut_after=40))
    client = client_for(fake_openai)
    first = list(client.responses.create(model=MODEL, input="long", background=True, stream=True))
    assert len(first) == 40 and first[-1].sequence_number == 39
    response_id = first[0].response.id
    rest = list(client.responses.retrieve(response_id, stream=True, starting_after=first[-1].sequence_number))
    assert [event.sequence_number for event in rest] == list(range(40, 100))
    assert rest[-1].type == "response.completed" and rest[-1].response.output_text == LONG_TEXT
    assert texts(first) + texts(rest) == LONG_TEXT
    # A late reader gets the whole stored stream, and the job finished without any reader.
    replay = list(client.responses.retrieve(response_id, stream=True))
    assert len(replay) == 100 and texts(replay) == LONG_TEXT


def test_polling_sees_queued_then_in_progress_then_completed(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Reply(Message("slow answer", deltas=8), delay=0.03, queued=0.15))
    client = client_for(fake_openai)
    created = client.responses.create(model=MODEL, input="x", background=True)
    assert created.status == "queued" and created.background and created.output == []
    seen: list[str] = []
    wait_for(client, created.id, "in_progress", seen)
    partial = client.responses.retrieve(created.id)
    wait_for(client, created.id, "completed", seen)
    assert seen[0] == "queued" and "in_progress" in seen and seen[-1] == "completed"
    assert seen == sorted(seen, key=["queued", "in_progress", "completed"].index)
    assert partial.status in ("in_progress", "completed")
    assert client.responses.retrieve(created.id).output_text == "slow answer"


def test_follow_a_running_job_from_the_start(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Reply(Message("live words here", deltas=3), delay=0.03))
    client = client_for(fake_openai)
    created = client.responses.create(model=MODEL, input="x", background=True)
    events = list(client.responses.retrieve(created.id, stream=True))
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    assert texts(events) == "live words here"


def test_cancel_mid_way_stops_the_job(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Reply(Message(LONG_TEXT), delay=0.01))
    client = client_for(fake_openai)
    seen: list[Any] = []
    cancelled = None
    stream = client.responses.create(model=MODEL, input="x", background=True, stream=True)
    for event in stream:
        seen.append(event)
        if len(seen) == 12:
            cancelled = client.responses.cancel(seen[0].response.id)
    assert cancelled is not None and cancelled.status == "cancelled"
    # The stream ends without a terminal event; the text so far is kept in the response.
    assert seen[-1].type == "response.output_text.delta" and texts(seen) != LONG_TEXT
    stored = client.responses.retrieve(cancelled.id)
    assert stored.status == "cancelled" and LONG_TEXT.startswith(stored.output[0].content[0].text)
    assert client.responses.cancel(cancelled.id).status == "cancelled"


def test_cancel_after_completion_and_of_foreground_responses(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    fake_openai.queue(Text("done"))
    background = list(client.responses.create(model=MODEL, input="x", background=True, stream=True))[-1].response
    assert client.responses.cancel(background.id).status == "completed"
    foreground = client.responses.create(model=MODEL, input="x")
    with pytest.raises(openai.BadRequestError):
        client.responses.cancel(foreground.id)


def test_background_needs_store_and_failures_reach_retrieve(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model=MODEL, input="x", background=True, store=False)
    fake_openai.queue(Failed("boom", text="half"))
    created = client.responses.create(model=MODEL, input="x", background=True)
    wait_for(client, created.id, "failed", [])
    assert client.responses.retrieve(created.id).error.message == "boom"


def test_background_turn_extends_its_conversation(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    conversation = client.conversations.create()
    fake_openai.queue(Text("in the background"))
    events = list(
        client.responses.create(model=MODEL, input="q", background=True, stream=True, conversation=conversation.id)
    )
    assert events[-1].type == "response.completed"
    items = client.conversations.items.list(conversation.id, order="asc").data
    assert [item.content[0].text for item in items] == ["q", "in the background"]


def test_reset_stops_running_jobs(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Reply(Message(LONG_TEXT), delay=0.05))
    client = client_for(fake_openai)
    created = client.responses.create(model=MODEL, input="x", background=True)
    started = time.monotonic()
    fake_openai.reset()
    assert time.monotonic() - started < 0.5
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)


def test_queued_429s_are_consumed_in_order_and_retry_after_is_honoured(fake_openai: FakeOpenAI) -> None:
    limited = Error(
        429,
        "Rate limit reached",
        code="rate_limit_exceeded",
        type="requests",
        headers={"Retry-After": "1", "retry-after-ms": "20"},
    )
    fake_openai.queue(limited, limited, Text("Third time lucky."))
    client = OpenAI(base_url=fake_openai.base_url, api_key="sk-test", max_retries=2)
    started = time.monotonic()
    assert client.responses.create(model=MODEL, input="x").output_text == "Third time lucky."
    assert 0.04 <= time.monotonic() - started < 0.5 and len(fake_openai.response_requests()) == 3
    fake_openai.queue(limited)
    with pytest.raises(openai.RateLimitError) as caught:
        client_for(fake_openai).responses.create(model=MODEL, input="y")
    assert caught.value.response.headers["retry-after"] == "1"
    assert fake_openai.last_input() == "y"
