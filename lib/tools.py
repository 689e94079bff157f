"""The tools a turn offers the model: one typed settings object, turned into the `tools` list by one function."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lib.registry import schema_for


@dataclass(frozen=True)
class McpServer:
    """A remote MCP server; its headers are secrets, kept in the session like the key."""

    label: str
    url: str
    allowed_tools: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    require_approval: str = "always"  # always | never


@dataclass(frozen=True)
class ToolSettings:
    """Which tools are on, and how each is set up."""

    web_search: bool = False
    web_search_location: tuple[tuple[str, str], ...] = ()  # (country|city|region|timezone, value)
    web_search_context: str = "medium"  # low | medium | high
    file_search: bool = False
    vector_store_ids: tuple[str, ...] = ()
    file_search_max_results: int = 10
    file_search_show_results: bool = False
    code_interpreter: bool = False
    image_generation: bool = False
    image_size: str = "auto"
    image_quality: str = "auto"
    mcp_servers: tuple[McpServer, ...] = ()
    functions: tuple[str, ...] = ()
    json_schema: str = ""  # a JSON Schema for structured output; empty = plain text
    reasoning_summary: str | None = None  # auto | concise | detailed


def tools_for(settings: ToolSettings) -> list[dict[str, Any]]:
    """The Responses API `tools` list for these settings."""
    tools: list[dict[str, Any]] = []
    if settings.web_search:
        tool: dict[str, Any] = {"type": "web_search", "search_context_size": settings.web_search_context}
        if settings.web_search_location:
            tool["user_location"] = {"type": "approximate", **dict(settings.web_search_location)}
        tools.append(tool)
    if settings.file_search and settings.vector_store_ids:
        tools.append(
            {
                "type": "file_search",
                "vector_store_ids": list(settings.vector_store_ids),
                "max_num_results": settings.file_search_max_results,
            }
        )
    if settings.code_interpreter:
        tools.append({"type": "code_interpreter", "container": {"type": "auto"}})
    if settings.image_generation:
        tools.append(
            {
                "type": "image_generation",
                "size": settings.image_size,
                "quality": settings.image_quality,
                "partial_images": 2,
            }
        )
    for server in settings.mcp_servers:
        mcp: dict[str, Any] = {
            "type": "mcp",
            "server_label": server.label,
            "server_url": server.url,
            "require_approval": server.require_approval,
        }
        if server.allowed_tools:
            mcp["allowed_tools"] = list(server.allowed_tools)
        if server.headers:
            mcp["headers"] = dict(server.headers)
        tools.append(mcp)
    tools.extend(schema_for(settings.functions))
    return tools


def includes_for(settings: ToolSettings) -> list[str]:
    """The `include` list: extra output the UI shows for the enabled tools."""
    include = []
    if settings.file_search and settings.file_search_show_results:
        include.append("file_search_call.results")
    if settings.code_interpreter:
        include.append("code_interpreter_call.outputs")
    if settings.web_search:
        include.append("web_search_call.action.sources")
    return include
