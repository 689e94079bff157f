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
    counted = client.responses.input_tokens.count(model="gpt-5-mini", instructions="12345", tools=tools,
                                                  previous_response_id=first.id, input="abc")
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
