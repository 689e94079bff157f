"""lib/forking.py against the double through the real SDK: what is carried, batches of 20, what is said."""

from __future__ import annotations

import openai
import pytest
from openai import OpenAI

from lib.forking import MAX_ITEMS, carry, copy_until, create_conversation, turn_groups
from tests.fake_openai import FakeOpenAI, FunctionCall, Message, Reasoning, Reply, Seen, WebSearch
from tests.fake_openai.server import route_of


def client_for(fake: FakeOpenAI) -> OpenAI:
    return OpenAI(base_url=fake.base_url, api_key="sk-test", max_retries=0)


def posts(fake: FakeOpenAI) -> list[tuple[str, object]]:
    return [(route_of(r.path), r.body) for r in fake.requests if r.method == "POST"]


def test_a_long_copy_is_created_with_20_items_then_added_20_at_a_time(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    items = [{"type": "message", "role": "user", "content": f"message {n}"} for n in range(45)]
    conversation_id = create_conversation(client, items, {"title": "Long"})
    sent = posts(fake_openai)
    assert [path for path, _ in sent] == [
        "/conversations",
        f"/conversations/{conversation_id}/items",
        f"/conversations/{conversation_id}/items",
    ]
    assert [len(body["items"]) for _, body in sent] == [MAX_ITEMS, MAX_ITEMS, 5]
    assert sent[1][1]["items"][0]["content"] == "message 20"
    stored = fake_openai.store.items(conversation_id)
    assert [i["content"][0]["text"] for i in stored] == [f"message {n}" for n in range(45)]


def test_the_double_refuses_more_than_20_items_as_the_api_does(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    items = [{"type": "message", "role": "user", "content": "x"}] * 21
    with pytest.raises(openai.BadRequestError, match="maximum length 20, but got an array with length 21"):
        client.conversations.create(items=items)
    conversation = client.conversations.create(items=items[:20])
    with pytest.raises(openai.BadRequestError) as refused:
        client.conversations.items.create(conversation.id, items=items)
    assert refused.value.body["param"] == "items" and refused.value.body["code"] == "array_above_max_length"


def test_a_failed_batch_takes_the_half_made_conversation_back(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    items = [{"type": "message", "role": "user", "content": "x"}] * 25
    # A server that forgets the conversation mid-way (deleted elsewhere) fails the second batch.
    original = fake_openai.store.append_items
    fake_openai.store.append_items = lambda *_: False  # type: ignore[method-assign]
    try:
        with pytest.raises(openai.NotFoundError):
            create_conversation(client, items, {})
    finally:
        fake_openai.store.append_items = original  # type: ignore[method-assign]
    deletes = [r for r in fake_openai.requests if r.method == "DELETE"]
    assert len(deletes) == 1 and route_of(deletes[0].path).startswith("/conversations/conv_")


def test_tool_calls_and_messages_are_carried_reasoning_and_hosted_tools_are_said(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    conversation = client.conversations.create(items=[])
    fake_openai.queue(
        Reply(Reasoning(), WebSearch("weather"), FunctionCall("get_weather", {"city": "Oslo"}, call_id="call_1")),
        Reply(Message("Cold in Oslo.")),
        Seen(),
    )
    first = client.responses.create(model="gpt-5-mini", conversation=conversation.id, input="Weather in Oslo?")
    client.responses.create(
        model="gpt-5-mini",
        conversation=conversation.id,
        input=[{"type": "function_call_output", "call_id": "call_1", "output": "-3 C"}],
    )
    assert first.status == "completed"
    copy = copy_until(client, conversation.id, 1, "Weather in Oslo?")
    created = posts(fake_openai)[-1][1]
    assert created["items"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather in Oslo?"}]},
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": '{"city":"Oslo"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "-3 C"},
        {"type": "message", "role": "assistant", "content": "Cold in Oslo."},
    ]
    assert created["metadata"] == {"title": "Weather in Oslo?", "forked_from": conversation.id}
    assert copy.note is not None
    assert copy.note.startswith("Not carried into the new conversation: 1 reasoning item, 1 web search call:")
    # The copy takes a next turn: the model sees the carried messages.
    answer = client.responses.create(model="gpt-5-mini", conversation=copy.conversation_id, input="And now?")
    assert answer.output_text == "Seen: Weather in Oslo? | And now?"


def test_a_call_without_its_output_is_left_out_with_nothing_to_say() -> None:
    items = [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}", "id": "fc_1"},
    ]
    carried = carry(items)
    assert carried.items == [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}]
    assert carried.note is None


def test_attachments_keep_their_file_ids_and_turns_group_as_the_transcript_does() -> None:
    image = {"type": "input_image", "file_id": "file_1", "detail": "auto", "image_url": None}
    items = [
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "be brief"}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "look"}, image]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "A cat."}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "more"}]},
    ]
    head, groups = turn_groups(items)
    assert len(head) == 1 and [len(g) for g in groups] == [2, 1]
    assert carry(items[:3]).items[1]["content"] == [
        {"type": "input_text", "text": "look"},
        {"type": "input_image", "file_id": "file_1", "detail": "auto"},
    ]
