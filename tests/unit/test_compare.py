"""Compare's core: a column's settings from a profile and overrides, the request fields it adds, its History tag."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lib.chat import build_request
from lib.compare import ColumnSpec, column_settings, describe, timing_line, without_tools
from lib.conversations import Thread
from lib.request_options import RequestOptions
from lib.settings import Settings
from lib.store import ResponseFilter, ResponseRecord
from lib.stream import Turn
from lib.tools import McpServer, ToolSettings, tools_for
from lib.turn_records import records_for

BASE = Settings(
    api_key="sk-mine",
    base_url="https://api.example.test/v1",
    model="gpt-5-mini",
    instructions="Be brief.",
    tools=ToolSettings(web_search=True, functions=("calculate",), json_schema=""),
)
PROFILE = {
    "format": 1,
    "model": "gpt-4.1",
    "instructions": "Talk like a pirate.",
    "temperature": 0.2,
    "base_url": "https://elsewhere.example/v1",
    "provider": "compatible",
    "tools": {"code_interpreter": True, "mcp_servers": [{"label": "docs", "url": "https://mcp.example/sse"}]},
}


def test_current_settings_with_no_overrides_are_the_current_settings() -> None:
    assert column_settings(BASE, ColumnSpec()) == BASE


def test_overrides_replace_only_what_is_set() -> None:
    spec = ColumnSpec(
        model="gpt-5",
        reasoning_effort="low",
        verbosity="high",
        service_tier="flex",
        instructions="  ",
        temperature=None,
    )
    ran = column_settings(BASE, spec)
    assert (ran.model, ran.reasoning_effort, ran.options.verbosity, ran.options.service_tier) == (
        "gpt-5",
        "low",
        "high",
        "flex",
    )
    assert ran.instructions == "Be brief." and ran.temperature is None and ran.tools == BASE.tools


def test_a_profile_picks_the_assistant_never_the_endpoint_or_key() -> None:
    typed = McpServer(label="docs", url="https://mcp.example/sse", headers=(("Authorization", "Bearer t"),))
    base = Settings(**{**BASE.__dict__, "tools": ToolSettings(mcp_servers=(typed,))})
    ran = column_settings(base, ColumnSpec(temperature=0.9), PROFILE)
    assert ran.model == "gpt-4.1" and ran.instructions == "Talk like a pirate." and ran.temperature == 0.9
    assert ran.tools.code_interpreter and not ran.tools.web_search
    assert (ran.provider, ran.base_url, ran.api_key) == ("openai", "https://api.example.test/v1", "sk-mine")
    assert ran.tools.mcp_servers[0].headers == typed.headers  # typed for this very server in this session


def test_a_broken_profile_says_why() -> None:
    with pytest.raises(ValueError, match="Unknown profile fields: api_key"):
        column_settings(BASE, ColumnSpec(), {"format": 1, "api_key": "sk-planted"})


def test_no_tools_turns_every_tool_off_but_keeps_the_answer_format() -> None:
    tools = ToolSettings(
        web_search=True,
        code_interpreter=True,
        json_schema='{"type": "object"}',
        functions=("calculate",),
        reasoning_summary="auto",
    )
    off = without_tools(tools)
    assert not tools_for(off) and off.json_schema == tools.json_schema and off.reasoning_summary == "auto"
    ran = column_settings(BASE, ColumnSpec(tools=False))
    assert "tools" not in build_request(ran, Thread(), [])
    assert "no tools" in describe(ran)


def test_verbosity_and_service_tier_are_sent_only_when_set() -> None:
    plain = build_request(BASE, Thread(), [])
    assert "text" not in plain and "service_tier" not in plain
    schema = '{"title": "Answer", "type": "object", "properties": {}, "required": [], "additionalProperties": false}'
    chosen = Settings(
        model="gpt-5",
        options=RequestOptions(verbosity="low", service_tier="priority"),
        tools=ToolSettings(json_schema=schema),
    )
    request = build_request(chosen, Thread(), [])
    assert request["text"]["verbosity"] == "low" and request["text"]["format"]["name"] == "Answer"
    assert request["service_tier"] == "priority"


def test_timing_line_says_first_token_and_total() -> None:
    assert timing_line(Turn(prompt="x", ttft_ms=250, latency_ms=1500)) == "first token 0.25 s · total 1.50 s"
    assert timing_line(Turn(prompt="x")) == ""


def test_compare_records_carry_the_tag() -> None:
    turn = Turn(prompt="Hi", model="gpt-5", response_id="resp_1", status="completed")
    assert [r.tag for r in records_for(turn, "key:abc", "conv_1", None, "compare")] == ["compare"]
    assert [r.tag for r in records_for(turn, "key:abc", "conv_1", None)] == [None]


def test_the_store_filters_on_the_tag(history_store) -> None:
    start = datetime(2026, 11, 30, tzinfo=UTC)
    for n, tag in enumerate(["compare", None, "compare"]):
        history_store.record_response(
            ResponseRecord(
                id=f"resp_{n}",
                owner="key:ann",
                model="gpt-5",
                status="completed",
                created_at=start + timedelta(minutes=n),
                tag=tag,
                input_tokens=10,
                output_tokens=n,
            )
        )
    history_store.record_response(
        ResponseRecord(
            id="resp_other", owner="key:bob", model="gpt-5", status="completed", created_at=start, tag="compare"
        )
    )
    tagged = ResponseFilter(owner="key:ann", tag="compare")
    assert [r["id"] for r in history_store.responses(tagged)] == ["resp_2", "resp_0"]
    assert history_store.count_responses(tagged) == 2
    assert history_store.totals(tagged)["output_tokens"] == 2
    assert history_store.count_responses(ResponseFilter(owner="key:ann")) == 3
    assert history_store.response("key:ann", "resp_1")["tag"] is None
