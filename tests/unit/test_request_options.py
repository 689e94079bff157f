"""Request controls -> request fields: only what is set is sent, the owner's cap wins, tool choice shapes."""

from __future__ import annotations

import pytest

from lib import profile_format as profiles
from lib.chat import build_request
from lib.conversations import Thread
from lib.request_options import RequestOptions, from_data, tool_choice, tool_key, with_options
from lib.settings import Settings
from lib.tools import ToolSettings

BASE = {"model": "gpt-5-mini", "input": [], "store": True, "stream": True}


def test_nothing_set_adds_nothing() -> None:
    assert with_options(BASE, RequestOptions()) == BASE


def test_every_field_lands_where_the_api_takes_it() -> None:
    options = RequestOptions(
        truncation="auto",
        max_output_tokens=500,
        max_tool_calls=2,
        parallel_tool_calls=False,
        verbosity="high",
        service_tier="priority",
        prompt_cache_key="k1",
        prompt_cache_retention="in_memory",
        include=("message.output_text.logprobs",),
        top_logprobs=0,
    )
    request = {**BASE, "text": {"format": {"type": "json_schema"}}, "include": ["file_search_call.results"]}
    assert with_options(request, options) == {
        **BASE,
        "truncation": "auto",
        "max_output_tokens": 500,
        "max_tool_calls": 2,
        "parallel_tool_calls": False,
        "service_tier": "priority",
        "prompt_cache_key": "k1",
        "prompt_cache_retention": "in_memory",
        "top_logprobs": 0,
        "text": {"format": {"type": "json_schema"}, "verbosity": "high"},
        "include": ["file_search_call.results", "message.output_text.logprobs"],
    }


@pytest.mark.parametrize(
    ("chosen", "cap", "sent"),
    [(None, 777, 777), (5000, 777, 777), (100, 777, 100), (100, None, 100), (None, None, None)],
)
def test_the_owners_cap_always_wins(chosen, cap, sent) -> None:
    request = with_options(BASE, RequestOptions(max_output_tokens=chosen), cap=cap)
    assert request.get("max_output_tokens") == sent


def test_tool_choice_shapes() -> None:
    assert tool_choice(RequestOptions(tool_choice="required")) == "required"
    assert tool_choice(RequestOptions(tool_choice="function:get_weather")) == {
        "type": "function",
        "name": "get_weather",
    }
    assert tool_choice(RequestOptions(tool_choice="mcp:docs")) == {"type": "mcp", "server_label": "docs"}
    assert tool_choice(RequestOptions(tool_choice="file_search")) == {"type": "file_search"}
    # web_search is not a ToolChoiceTypes value: forcing it is an allowed_tools list of one, required.
    assert tool_choice(RequestOptions(tool_choice="web_search")) == {
        "type": "allowed_tools",
        "mode": "required",
        "tools": [{"type": "web_search"}],
    }
    assert tool_choice(RequestOptions(allowed_tools=("web_search", "function:calculate"))) == {
        "type": "allowed_tools",
        "mode": "auto",
        "tools": [{"type": "web_search"}, {"type": "function", "name": "calculate"}],
    }


def test_the_chat_request_carries_the_options_and_a_choice_only_with_tools() -> None:
    options = RequestOptions(tool_choice="function:calculate", service_tier="flex")
    plain = build_request(Settings(options=options), Thread(), [])
    assert plain["service_tier"] == "flex" and "tool_choice" not in plain
    with_tools = build_request(Settings(options=options, tools=ToolSettings(functions=("calculate",))), Thread(), [])
    assert with_tools["tool_choice"] == {"type": "function", "name": "calculate"}
    assert [tool_key(t) for t in with_tools["tools"]] == ["function:calculate"]


def test_problems_name_the_field() -> None:
    assert "service_tier" in str(RequestOptions(service_tier="turbo").problem())
    assert "at least 16" in str(RequestOptions(max_output_tokens=8).problem())
    assert "between 0 and 20" in str(RequestOptions(top_logprobs=21).problem())
    assert "not among the tools" in str(RequestOptions(tool_choice="function:x").problem(["function:y"]))
    assert "not both" in str(RequestOptions(tool_choice="function:y", allowed_tools=("function:y",)).problem())
    assert RequestOptions(tool_choice="none", allowed_tools=()).problem([]) is None


def test_profiles_carry_the_options_and_refuse_bad_ones() -> None:
    options = RequestOptions(service_tier="flex", include=("file_search_call.results",), allowed_tools=("web_search",))
    data = profiles.to_data(Settings(options=options))
    assert data["options"]["service_tier"] == "flex"
    assert profiles.from_data(data)["options"] == options
    assert profiles.from_data({k: v for k, v in data.items() if k != "options"})["options"] == RequestOptions()
    for bad, says in (
        ({"service_tier": "turbo"}, "service_tier"),
        ({"max_output_tokens": "lots"}, "lots"),
        ({"colour": "red"}, "colour"),
        ({"include": ["x.y"]}, "x.y"),
    ):
        with pytest.raises(ValueError, match=says):
            from_data(bad)


def test_a_shared_visitors_cache_key_is_theirs_alone() -> None:
    """Attack: two visitors on the owner's key type the same prompt_cache_key to share a cache (and time it)."""
    from lib.chat import build_request
    from lib.conversations import Thread

    typed = RequestOptions(prompt_cache_key="team-cache")
    ann = build_request(Settings(options=typed, safety_identifier="a" * 64), Thread(), [])
    bob = build_request(Settings(options=typed, safety_identifier="b" * 64), Thread(), [])
    assert (
        ann["prompt_cache_key"] == "aaaaaaaaaaaaaaaa-team-cache" and bob["prompt_cache_key"] != ann["prompt_cache_key"]
    )
    assert build_request(Settings(options=typed), Thread(), [])["prompt_cache_key"] == "team-cache"  # local: as typed
    long = RequestOptions(prompt_cache_key="k" * 64)
    assert (
        len(build_request(Settings(options=long, safety_identifier="c" * 64), Thread(), [])["prompt_cache_key"]) == 64
    )
