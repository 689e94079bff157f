"""The double checks a create's request controls as the API does: 400 with the error shape and `param`."""

from __future__ import annotations

import openai
import pytest
from openai import OpenAI

from tests.fake_openai import FakeOpenAI, Text

FUNCTION = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {}},
    "strict": False,
}


def client_for(fake: FakeOpenAI) -> OpenAI:
    return OpenAI(base_url=fake.base_url, api_key="sk-test", max_retries=0)


@pytest.mark.parametrize(
    ("fields", "param", "code", "says"),
    [
        ({"service_tier": "turbo"}, "service_tier", "invalid_value", "Invalid value: 'turbo'. Supported"),
        ({"truncation": "sometimes"}, "truncation", "invalid_value", "'auto', and 'disabled'"),
        ({"text": {"verbosity": "chatty"}}, "text.verbosity", "invalid_value", "'low', 'medium', and 'high'"),
        ({"prompt_cache_retention": "1w"}, "prompt_cache_retention", "invalid_value", "'in_memory', and '24h'"),
        ({"include": ["web_search_call.action.sources", "everything"]}, "include[1]", "invalid_value", "'everything'"),
        ({"max_output_tokens": 8}, "max_output_tokens", "integer_below_min_value", "Expected a value >= 16"),
        ({"top_logprobs": 21}, "top_logprobs", "integer_above_max_value", "Expected a value <= 20"),
        ({"parallel_tool_calls": "yes"}, "parallel_tool_calls", "invalid_type", "expected a boolean"),
        ({"prompt_cache_key": "k" * 65}, "prompt_cache_key", "string_above_max_length", "maximum length 64"),
        ({"tool_choice": "sometimes"}, "tool_choice", "invalid_value", "'none', 'auto', and 'required'"),
        ({"tool_choice": {"type": "function", "name": "nope"}, "tools": [FUNCTION]}, "tool_choice", None, "'nope'"),
        (
            {
                "tool_choice": {"type": "allowed_tools", "mode": "required", "tools": [{"type": "web_search"}]},
                "tools": [FUNCTION],
            },
            "tool_choice.tools[0]",
            None,
            "'web_search' in allowed_tools",
        ),
    ],
)
def test_a_bad_value_is_a_400_naming_the_param(fake_openai: FakeOpenAI, fields, param, code, says) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client_for(fake_openai).responses.create(model="gpt-5-mini", input="hi", **fields)
    error = caught.value
    assert error.status_code == 400 and error.param == param and error.code == code
    assert error.body["type"] == "invalid_request_error" and says in error.body["message"]
    assert fake_openai.response_requests()[0] == {"model": "gpt-5-mini", "input": "hi", **fields}


def test_good_values_are_taken_recorded_and_echoed(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Text("ok"))
    fields = {
        "service_tier": "fast",
        "truncation": "auto",
        "text": {"verbosity": "low"},
        "prompt_cache_key": "k",
        "prompt_cache_retention": "24h",
        "max_output_tokens": 16,
        "max_tool_calls": 1,
        "parallel_tool_calls": False,
        "top_logprobs": 20,
        "include": ["message.output_text.logprobs"],
        "tools": [FUNCTION],
        "tool_choice": {
            "type": "allowed_tools",
            "mode": "auto",
            "tools": [{"type": "function", "name": "get_weather"}],
        },
    }
    response = client_for(fake_openai).responses.create(model="gpt-5-mini", input="hi", **fields)
    assert fake_openai.response_requests() == [{"model": "gpt-5-mini", "input": "hi", **fields}]
    assert response.service_tier == "priority"  # fast is shown back as the priority tier it ran on
    assert response.truncation == "auto" and response.text.verbosity == "low"
    assert response.prompt_cache_retention == "24h" and response.max_tool_calls == 1


def test_auto_runs_on_the_default_tier(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Text("ok"))
    assert client_for(fake_openai).responses.create(model="m", input="x", service_tier="auto").service_tier == "default"
