"""Profiles round-trip without secrets, are owner-scoped in the store, and the shipped ones load."""

from __future__ import annotations

import json

import pytest

from lib import profile_format
from lib.profile_format import builtin, from_data, to_data
from lib.settings import Settings
from lib.store import HistoryStore
from lib.tools import McpServer, ToolSettings

TOOLS = ToolSettings(
    web_search=True,
    web_search_location=(("country", "GB"),),
    file_search=True,
    vector_store_ids=("vs_1",),
    functions=("get_weather",),
    mcp_servers=(
        McpServer("deepwiki", "https://mcp.example/sse", ("ask",), (("Authorization", "Bearer secret-mcp"),), "never"),
    ),
)


def test_round_trip_keeps_everything_but_secrets() -> None:
    settings = Settings(api_key="sk-never", model="gpt-4.1", instructions="Be kind.", temperature=0.2, tools=TOOLS)
    data = json.loads(json.dumps(to_data(settings)))
    assert "sk-never" not in json.dumps(data) and "secret-mcp" not in json.dumps(data)
    restored = from_data(data)
    assert (restored["model"], restored["instructions"], restored["temperature"]) == ("gpt-4.1", "Be kind.", 0.2)
    expected = ToolSettings(
        **{**TOOLS.__dict__, "mcp_servers": (McpServer("deepwiki", "https://mcp.example/sse", ("ask",), (), "never"),)}
    )
    assert restored["tools"] == expected


def test_bad_profiles_are_named() -> None:
    with pytest.raises(ValueError, match='"format": 1'):
        from_data({"model": "x"})
    with pytest.raises(ValueError, match="Unknown profile fields: api_key"):
        from_data({"format": 1, "api_key": "sk"})
    with pytest.raises(ValueError, match="Unknown tool settings: teleport"):
        from_data({"format": 1, "tools": {"teleport": True}})


def test_shipped_profiles_load() -> None:
    shipped = builtin()
    assert set(shipped) == {"assistant", "file-search"}
    assert from_data(shipped["file-search"])["tools"].file_search is True


def test_store_is_owner_scoped(store_url: str) -> None:
    profiles = HistoryStore(store_url).profiles
    profiles.save("key:a", "demo", {"format": 1, "model": "m1"})
    profiles.save("key:a", "demo", {"format": 1, "model": "m2"})
    profiles.save("key:b", "other", {"format": 1})
    assert profiles.names("key:a") == ["demo"] and profiles.get("key:a", "demo")["model"] == "m2"
    assert profiles.get("key:b", "demo") is None and profiles.names("key:b") == ["other"]
    assert profiles.rename("key:a", "demo", "show") and profiles.names("key:a") == ["show"]
    assert not profiles.delete("key:b", "show") and profiles.delete("key:a", "show")
    assert profiles.names("key:a") == []


def test_shipped_names_are_refused_in_any_case() -> None:
    assert profile_format.is_shipped("assistant") and profile_format.is_shipped(" File-Search ")
    assert "comes with the app" in (profile_format.name_refusal("ASSISTANT") or "")
    assert profile_format.name_refusal("my-assistant") is None


def test_without_endpoint_names_the_host_it_wanted() -> None:
    data = {"format": 1, "model": "o3", "provider": "compatible", "base_url": "https://user:pw@spy.example:8443/v1"}
    assert profile_format.without_endpoint(data) == ({"format": 1, "model": "o3"}, "spy.example")
    azure = {"format": 1, "provider": "azure", "azure_endpoint": "https://res.openai.azure.com", "api_version": "v1"}
    assert profile_format.without_endpoint(azure) == ({"format": 1}, "res.openai.azure.com")
    assert profile_format.without_endpoint({"format": 1, "provider": "azure"}) == ({"format": 1}, "another provider")
    assert profile_format.without_endpoint({"format": 1, "model": "o3"}) == ({"format": 1, "model": "o3"}, None)


def test_mcp_headers_stay_only_for_the_same_label_and_url() -> None:
    token = (("Authorization", "Bearer t"),)
    mine = ToolSettings(mcp_servers=(McpServer("docs", "https://a.example/sse", headers=token),))
    same = ToolSettings(mcp_servers=(McpServer("docs", "https://a.example/sse"),))
    moved = ToolSettings(mcp_servers=(McpServer("docs", "https://b.example/sse"),))
    renamed = ToolSettings(mcp_servers=(McpServer("wiki", "https://a.example/sse"),))
    assert profile_format.keep_headers(same, mine).mcp_servers[0].headers == token
    assert profile_format.keep_headers(moved, mine).mcp_servers[0].headers == ()
    assert profile_format.keep_headers(renamed, mine).mcp_servers[0].headers == ()
