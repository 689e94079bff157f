"""The double's input_tokens and compact endpoints through the real SDK, and the capability probe over them."""

from __future__ import annotations

import openai
import pytest
from openai import OpenAI

from lib.capabilities import NO_TOKEN_COUNT, counts_tokens, probe
from tests.fake_openai import FakeOpenAI, Text


def client_for(fake: FakeOpenAI) -> OpenAI:
    return OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0)


def test_a_count_covers_instructions_tools_context_and_input(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    fake_openai.queue(Text("1234567"))  # 2 tokens
    first = client.responses.create(model="gpt-5-mini", input="abcdefgh")  # 2 tokens
    tools = [{"type": "function", "name": "f", "parameters": {}, "strict": False}]
    counted = client.responses.input_tokens.count(
        model="gpt-5-mini", instructions="12345", tools=tools, previous_response_id=first.id, input="abc"
    )
    tools_json = '[{"type":"function","name":"f","parameters":{},"strict":false}]'
    assert counted.object == "response.input_tokens"
    assert counted.input_tokens == 2 + -(-len(tools_json) // 4) + 2 + 2 + 1


def test_a_count_refuses_what_create_refuses(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    with pytest.raises(openai.BadRequestError, match="Previous response with id .resp_nope. not found"):
        client.responses.input_tokens.count(model="gpt-5-mini", previous_response_id="resp_nope")
    with pytest.raises(openai.NotFoundError):
        client.responses.input_tokens.count(model="gpt-5-mini", conversation="conv_nope")


def test_without_the_endpoints_both_answer_404_and_the_probe_says_so(fake_openai_factory) -> None:
    fake = fake_openai_factory(counts_tokens=False)
    client = client_for(fake)
    with pytest.raises(openai.NotFoundError):
        client.responses.input_tokens.count(model="gpt-5-mini", input="hi")
    with pytest.raises(openai.NotFoundError):
        client.responses.compact(model="gpt-5-mini", input="hi")
    assert counts_tokens(client) is False
    assert NO_TOKEN_COUNT in probe(client).notes


def test_the_probe_finds_the_count(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    assert counts_tokens(client) is True
    assert NO_TOKEN_COUNT not in probe(client).notes


def test_compact_keeps_the_user_messages_and_adds_one_compaction_item(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    fake_openai.queue(Text("a" * 80), Text("b" * 80))
    first = client.responses.create(model="gpt-5-mini", input="q" * 40)
    second = client.responses.create(model="gpt-5-mini", input="r" * 40, previous_response_id=first.id)
    compacted = client.responses.compact(model="gpt-5-mini", previous_response_id=second.id)
    assert compacted.object == "response.compaction"
    users, last = compacted.output[:-1], compacted.output[-1]
    assert [(m.type, m.role, m.content[0].text) for m in users] == [
        ("message", "user", "q" * 40),
        ("message", "user", "r" * 40),
    ]
    assert last.type == "compaction" and last.id.startswith("cmp_")
    assert compacted.usage.input_tokens == 10 + 20 + 10 + 20
    assert compacted.usage.output_tokens == 6 and len(last.encrypted_content) == 24


def test_compact_refuses_a_conversation_and_needs_something_to_compact(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    with pytest.raises(openai.BadRequestError, match="conversation"):
        client.responses.compact(model="gpt-5-mini", extra_body={"conversation": "conv_1"})
    with pytest.raises(openai.BadRequestError, match="Nothing to compact"):
        client.responses.compact(model="gpt-5-mini")


def test_past_the_threshold_the_stream_carries_a_compaction_item_first(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    fake_openai.queue(Text("Short."), Text("Not yet."))
    events = list(
        client.responses.create(
            model="gpt-5-mini",
            input="x" * 44,
            stream=True,
            context_management=[{"type": "compaction", "compact_threshold": 10}],
        )
    )
    added = [e for e in events if e.type == "response.output_item.added"]
    assert [e.item.type for e in added] == ["compaction", "message"]
    assert "response.compaction.compacting" in [e.type for e in events]
    final = events[-1].response
    assert final.output[0].type == "compaction" and len(final.output[0].encrypted_content) == 4  # 11 tokens / 10
    quiet = client.responses.create(
        model="gpt-5-mini", input="x" * 40, context_management=[{"type": "compaction", "compact_threshold": 10}]
    )
    assert [o.type for o in quiet.output] == ["message"]  # 10 tokens: not past 10


def test_a_malformed_context_management_is_refused(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    with pytest.raises(openai.BadRequestError, match="only 'compaction'"):
        client.responses.create(model="gpt-5-mini", input="hi", context_management=[{"type": "summary"}])
    with pytest.raises(openai.BadRequestError, match="positive integer"):
        client.responses.create(
            model="gpt-5-mini", input="hi", context_management=[{"type": "compaction", "compact_threshold": 0}]
        )
