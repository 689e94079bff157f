"""The local Responses-API double, checked only through the real openai SDK and its types."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from openai import AzureOpenAI, OpenAI
from openai.types.conversations import ConversationItem
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseItem,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
)
from pydantic import TypeAdapter

from tests.fake_openai import Cut, Error, Failed, FakeOpenAI, Incomplete, Text

EVENT = TypeAdapter(ResponseStreamEvent)
RESPONSE = TypeAdapter(Response)
MODEL = "gpt-5-mini"


def client_for(fake: FakeOpenAI, api_key: str = "sk-test") -> OpenAI:
    """An SDK client on the double that shows the first error instead of retrying."""
    return OpenAI(base_url=fake.base_url, api_key=api_key, max_retries=0)


def raw_stream(client: OpenAI, **params: Any) -> tuple[list[dict[str, Any]], str]:
    """The event dicts and the whole body of a streamed create, as they crossed the wire."""
    with client.responses.with_streaming_response.create(model=MODEL, stream=True, **params) as raw:
        body = raw.read().decode()
    events = [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: ")]
    return events, body


def validate(events: list[dict[str, Any]]) -> None:
    """Every known event validates against the SDK's union (unknown types like pings are skipped)."""
    for event in events:
        if event["type"] != "response.ping":
            EVENT.validate_python(event)


def test_streamed_text_parses_into_typed_events(fake_openai: FakeOpenAI) -> None:
    text = "Hello,  brave new\nworld! "
    fake_openai.queue(Text(text))
    events = list(client_for(fake_openai).responses.create(model=MODEL, input="two words", stream=True))

    assert [e.type for e in events[:4]] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert [e.type for e in events[-4:]] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert isinstance(events[0], ResponseCreatedEvent) and events[0].response.status == "in_progress"
    numbers = [e.sequence_number for e in events]
    assert numbers == list(range(len(events)))
    deltas = [e for e in events if isinstance(e, ResponseTextDeltaEvent)]
    assert len(deltas) == 4 and "".join(d.delta for d in deltas) == text
    assert len({d.item_id for d in deltas}) == 1 and deltas[0].item_id.startswith("msg_")
    completed = events[-1]
    assert isinstance(completed, ResponseCompletedEvent)
    assert completed.response.output_text == text and completed.response.status == "completed"
    usage = completed.response.usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (2, 4, 6)
    assert usage.input_tokens_details.cached_tokens == 0 and usage.output_tokens_details.reasoning_tokens == 0


@pytest.mark.parametrize(
    "script",
    [
        Text("one two three"),
        Text("", usage={"input_tokens": 12, "input_tokens_details": {"cached_tokens": 4}}),
        Incomplete("cut short here"),
        Failed("The model crashed", code="server_error", text="partial answer"),
        Failed(),
    ],
)
def test_wire_events_validate_against_the_sdk_union(fake_openai: FakeOpenAI, script: Any) -> None:
    fake_openai.queue(script)
    events, _ = raw_stream(client_for(fake_openai), input="hi", instructions="be brief", metadata={"k": "v"})
    validate(events)
    RESPONSE.validate_python(events[-1]["response"])
    assert [e["sequence_number"] for e in events] == list(range(len(events)))


def test_deltas_count_and_usage_override(fake_openai: FakeOpenAI) -> None:
    usage = {
        "input_tokens": 100,
        "input_tokens_details": {"cached_tokens": 40, "cache_write_tokens": 0},
        "output_tokens": 7,
        "output_tokens_details": {"reasoning_tokens": 3},
        "total_tokens": 107,
    }
    fake_openai.queue(Text("abcdefghij", deltas=3, usage=usage))
    events = list(client_for(fake_openai).responses.create(model=MODEL, input="x", stream=True))
    assert [e.delta for e in events if e.type == "response.output_text.delta"] == ["abcd", "efg", "hij"]
    final = events[-1].response
    assert final.usage.input_tokens_details.cached_tokens == 40 and final.usage.total_tokens == 107


def test_partial_usage_override_is_completed(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Text("a b", usage={"input_tokens": 12, "output_tokens_details": {"reasoning_tokens": 5}}))
    events, _ = raw_stream(client_for(fake_openai), input="x")
    usage = events[-1]["response"]["usage"]
    assert usage["input_tokens_details"] == {"cached_tokens": 0, "cache_write_tokens": 0}
    assert (usage["output_tokens"], usage["total_tokens"]) == (2, 14)
    assert usage["output_tokens_details"]["reasoning_tokens"] == 5
    validate(events)


def test_stream_helper_accepts_the_lifecycle(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Text("strict helper"))
    with client_for(fake_openai).responses.stream(model=MODEL, input="x") as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    assert final.output_text == "strict helper"


def test_delays_reach_the_client_between_deltas(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Text("a b c", delay=0.1))
    started = time.monotonic()
    arrivals = [
        time.monotonic()
        for e in client_for(fake_openai).responses.create(model=MODEL, input="x", stream=True)
        if e.type == "response.output_text.delta"
    ]
    # The gaps between arrivals shrink when a loaded client reads late; the server's waits cannot: the last
    # delta cannot arrive before both 0.1 s waits between the three deltas have passed.
    assert len(arrivals) == 3 and arrivals[2] - started >= 0.2


def test_plain_create_returns_a_typed_response(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Text("Plain answer."))
    raw = client_for(fake_openai).responses.with_raw_response.create(model="o4-mini", input="hi", store=True)
    response = raw.parse()
    assert isinstance(response, Response)
    assert response.output_text == "Plain answer." and response.model == "o4-mini"
    assert response.id.startswith("resp_") and response.status == "completed"
    RESPONSE.validate_python(raw.http_response.json())


def test_default_answer_echoes_the_last_user_input(fake_openai: FakeOpenAI) -> None:
    messages = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": [{"type": "input_text", "text": "second one"}]},
    ]
    response = client_for(fake_openai).responses.create(model=MODEL, input=messages)
    assert response.output_text == "Echo: second one"


def test_rate_limit_error_carries_retry_after(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(
        Error(429, "Rate limit reached", code="rate_limit_exceeded", type="requests", headers={"Retry-After": "1"})
    )
    with pytest.raises(openai.RateLimitError) as caught:
        client_for(fake_openai).responses.create(model=MODEL, input="x", stream=True)
    assert caught.value.response.headers["retry-after"] == "1"
    assert (caught.value.code, caught.value.type) == ("rate_limit_exceeded", "requests")
    # The queue moves on: the next request gets the default answer.
    assert client_for(fake_openai).responses.create(model=MODEL, input="y").output_text == "Echo: y"


@pytest.mark.parametrize("fake_openai", [{"api_keys": {"sk-good-key-123456"}}], indirect=True)
def test_unknown_api_key_is_rejected_and_recorded(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        client_for(fake_openai, api_key="sk-wrong-key-abcdefxyz").models.list()
    assert caught.value.code == "invalid_api_key"
    assert "sk-wrong-key-abcdefxyz" not in caught.value.message and "xyz." in caught.value.message
    assert fake_openai.requests[-1].path == "/v1/models"
    assert [m.id for m in client_for(fake_openai, api_key="sk-good-key-123456").models.list()][0] == MODEL


def test_cut_stream_ends_quietly_without_a_terminal_event(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Cut("one two three four five", after=5))
    client = client_for(fake_openai)
    events = list(client.responses.create(model=MODEL, input="x", stream=True))
    assert [e.type for e in events][-1] == "response.output_text.delta" and len(events) == 5
    response_id = events[0].response.id
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response_id)


def test_cut_chunked_stream_raises_connection_error() -> None:
    """With chunked streams (as api.openai.com sends), the SDK raises APIConnectionError on a cut."""
    with FakeOpenAI(chunked=True) as fake:
        fake.queue(Text("a b c", cut_after=3), Text("whole answer"))
        client = client_for(fake)
        seen: list[str] = []
        with pytest.raises(openai.APIConnectionError):
            for event in client.responses.create(model=MODEL, input="x", stream=True):
                seen.append(event.type)
        assert len(seen) == 3
        events = list(client.responses.create(model=MODEL, input="x", stream=True))
        assert events[-1].response.output_text == "whole answer"


def test_cut_plain_request_is_a_connection_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Text("never sent", cut_after=0))
    with pytest.raises(openai.APIConnectionError):
        client_for(fake_openai).responses.create(model=MODEL, input="x")


def test_pings_and_keep_alive_comments_are_harmless(fake_openai: FakeOpenAI) -> None:
    extra = ({"type": "response.ping"}, ": keep-alive", {"type": "response.ping"})
    fake_openai.queue(Text("still fine", extra=extra), Text("again", extra=extra))
    client = client_for(fake_openai)
    events = list(client.responses.create(model=MODEL, input="x", stream=True))
    assert [e.type for e in events].count("response.ping") == 2
    assert events[-1].response.output_text == "still fine"
    raw_events, body = raw_stream(client, input="x")
    assert "\n: keep-alive\n" in body
    assert [e["sequence_number"] for e in raw_events] == list(range(len(raw_events)))


def test_failed_and_incomplete_terminal_events(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Failed("boom", code="server_error"), Incomplete("trunc ated", reason="max_output_tokens"))
    client = client_for(fake_openai)
    failed = list(client.responses.create(model=MODEL, input="x", stream=True))[-1]
    assert failed.type == "response.failed" and failed.response.status == "failed"
    assert failed.response.error.code == "server_error" and failed.response.error.message == "boom"
    incomplete = list(client.responses.create(model=MODEL, input="x", stream=True))[-1]
    assert incomplete.type == "response.incomplete" and incomplete.response.output_text == "trunc ated"
    assert incomplete.response.incomplete_details.reason == "max_output_tokens"


def test_stored_response_retrieve_input_items_delete(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    created = client.responses.create(model=MODEL, input=[{"role": "user", "content": "stored input"}])
    assert client.responses.retrieve(created.id).output_text == created.output_text
    items = list(client.responses.input_items.list(created.id, order="asc"))
    assert len(items) == 1 and items[0].type == "message" and items[0].id.startswith("msg_")
    assert items[0].role == "user" and items[0].status == "completed"
    assert items[0].content[0].type == "input_text" and items[0].content[0].text == "stored input"
    with pytest.raises(openai.BadRequestError):
        client.responses.cancel(created.id)
    deleted = client.responses.with_raw_response.delete(created.id).http_response.json()
    assert deleted == {"id": created.id, "object": "response", "deleted": True}
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)


def test_store_false_is_not_kept(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    created = client.responses.create(model=MODEL, input="x", store=False)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)


def test_retrieve_stream_resumes_after_a_sequence_number(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Text("resume me please"))
    client = client_for(fake_openai)
    first = list(client.responses.create(model=MODEL, input="x", stream=True))
    resumed = list(client.responses.retrieve(first[0].response.id, stream=True, starting_after=4))
    assert [e.sequence_number for e in resumed] == [e.sequence_number for e in first[5:]]


def test_previous_response_id_must_exist(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="x", previous_response_id="resp_missing")
    assert caught.value.code == "previous_response_not_found" and caught.value.param == "previous_response_id"
    first = client.responses.create(model=MODEL, input="x")
    second = client.responses.create(model=MODEL, input="y", previous_response_id=first.id)
    assert second.previous_response_id == first.id


def test_stored_items_validate_against_the_sdk_types(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    seed = [{"role": "developer", "content": "rules"}, {"type": "message", "role": "assistant", "content": "hi"}]
    conversation = client.conversations.create(items=seed)
    response = client.responses.create(model=MODEL, input="turn", conversation=conversation.id)
    pages = [
        (TypeAdapter(ConversationItem), client.conversations.items.with_raw_response.list(conversation.id)),
        (TypeAdapter(ResponseItem), client.responses.input_items.with_raw_response.list(response.id)),
    ]
    for adapter, raw in pages:
        page = raw.http_response.json()
        assert page["object"] == "list" and page["first_id"] == page["data"][0]["id"]
        for item in page["data"]:
            adapter.validate_python(item)


def test_conversation_create_retrieve_update_delete(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    conversation = client.conversations.create(metadata={"topic": "demo"})
    assert conversation.id.startswith("conv_") and conversation.metadata == {"topic": "demo"}
    assert client.conversations.retrieve(conversation.id).id == conversation.id
    updated = client.conversations.update(conversation.id, metadata={"topic": "new"})
    assert updated.metadata == {"topic": "new"}
    deleted = client.conversations.delete(conversation.id)
    assert deleted.deleted and deleted.object == "conversation.deleted"
    with pytest.raises(openai.NotFoundError):
        client.conversations.retrieve(conversation.id)


def test_conversation_items_order_and_paging(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    seed = [{"type": "message", "role": "user", "content": f"m{n}"} for n in range(5)]
    conversation = client.conversations.create(items=seed)
    texts = lambda items: [item.content[0].text for item in items]  # noqa: E731
    assert texts(client.conversations.items.list(conversation.id, order="asc").data) == ["m0", "m1", "m2", "m3", "m4"]
    assert texts(client.conversations.items.list(conversation.id).data) == ["m4", "m3", "m2", "m1", "m0"]
    page = client.conversations.items.list(conversation.id, order="asc", limit=2)
    assert texts(page.data) == ["m0", "m1"] and page.has_more
    after = client.conversations.items.list(conversation.id, order="asc", limit=2, after=page.last_id)
    assert texts(after.data) == ["m2", "m3"]
    assert texts(client.conversations.items.list(conversation.id, order="asc", limit=2)) == texts(
        client.conversations.items.list(conversation.id, order="asc").data
    )
    added = client.conversations.items.create(conversation.id, items=[{"role": "user", "content": "m5"}])
    assert texts(added.data) == ["m5"]
    assert texts(client.conversations.items.list(conversation.id, limit=1).data) == ["m5"]
    with pytest.raises(openai.BadRequestError):
        client.conversations.create(items=seed * 5)


def test_turn_in_a_conversation_appends_its_input_and_output(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    conversation = client.conversations.create(items=[{"role": "user", "content": "earlier"}])
    fake_openai.queue(Text("The answer."), Text("Second answer."))
    first = client.responses.create(model=MODEL, input="question", conversation=conversation.id)
    assert first.conversation is not None and first.conversation.id == conversation.id
    events = list(
        client.responses.create(
            model=MODEL, input=[{"role": "user", "content": "more"}], conversation={"id": conversation.id}, stream=True
        )
    )
    assert events[-1].type == "response.completed"
    items = client.conversations.items.list(conversation.id, order="asc").data
    assert [(item.role, item.content[0].text) for item in items] == [
        ("user", "earlier"),
        ("user", "question"),
        ("assistant", "The answer."),
        ("user", "more"),
        ("assistant", "Second answer."),
    ]
    assert items[2].id == first.output[0].id
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model=MODEL, input="x", conversation="conv_missing")


@pytest.mark.parametrize("fake_openai", [{"conversations": False}], indirect=True)
def test_provider_without_conversations_answers_404(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    with pytest.raises(openai.NotFoundError):
        client.conversations.create()
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.list("conv_x")
    assert client.responses.create(model=MODEL, input="still works").output_text == "Echo: still works"


def test_models_list_and_unknown_path(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    assert [m.id for m in client.models.list()] == ["gpt-5-mini", "gpt-4.1-mini", "o4-mini"]
    answer = httpx2.get(fake_openai.base_url + "/nowhere")
    assert answer.status_code == 404 and answer.json()["error"]["message"] == "Invalid URL (GET /v1/nowhere)"


def test_requests_are_recorded_and_reset(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    fake_openai.queue(Text("queued"), Text("dropped by reset"))
    client.responses.create(model=MODEL, input="a", stream=True).close()
    with pytest.raises(openai.NotFoundError):
        client.responses.input_items.list("resp_nope", limit=3)
    recorded = fake_openai.requests
    assert [(r.method, r.path) for r in recorded] == [
        ("POST", "/v1/responses"),
        ("GET", "/v1/responses/resp_nope/input_items"),
    ]
    assert recorded[0].headers["authorization"] == "Bearer sk-test" and recorded[1].query == {"limit": "3"}
    assert fake_openai.response_requests() == [{"model": MODEL, "input": "a", "stream": True}]
    fake_openai.reset()
    assert fake_openai.requests == []
    assert client.responses.create(model=MODEL, input="b").output_text == "Echo: b"


def test_azure_client_paths_and_api_key_header() -> None:
    with FakeOpenAI(api_keys={"azure-key"}) as fake:
        endpoint = fake.base_url.removesuffix("/v1")
        client = AzureOpenAI(azure_endpoint=endpoint, api_key="azure-key", api_version="preview", max_retries=0)
        assert client.responses.create(model="my-deployment", input="hi").output_text == "Echo: hi"
        assert fake.requests[-1].path.startswith("/openai/") and fake.requests[-1].headers["api-key"] == "azure-key"
        assert len(fake.response_requests()) == 1


def test_standalone_module_serves_until_interrupted() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "tests.fake_openai", "--port", str(port)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2]) as process:
        try:
            assert process.stdout is not None and f"127.0.0.1:{port}/v1" in process.stdout.readline()
            client = OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-test", max_retries=0)
            assert client.responses.create(model=MODEL, input="ping").output_text == "Echo: ping"
        finally:
            process.terminate()
