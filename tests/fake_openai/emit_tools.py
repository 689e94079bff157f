"""Building the events of hosted tools and remote MCP calls, as the API streams them."""

from __future__ import annotations

from typing import Any

from .emit import Emitter
from .items import new_id
from .outputs import (
    CodeInterpreter,
    FileSearch,
    ImageGeneration,
    Json,
    McpApprovalRequest,
    McpCall,
    McpListTools,
    WebSearch,
    json_text,
)
from .text import chunks


def _phases(emit: Emitter, family: str, index: int, item: Json, *phases: str) -> None:
    """Bare `response.<family>.<phase>` events, `delay` apart after the first."""
    for number, phase in enumerate(phases):
        emit.on_item(f"response.{family}.{phase}", index, item, emit.delay if number else 0.0)


def web_search(emit: Emitter, out: WebSearch) -> Json:
    """A web_search_call: in_progress, searching, completed."""
    item: Json = {"id": new_id("ws"), "type": "web_search_call", "status": "in_progress", "action": {"type": "search"}}
    index = emit.added(item)
    _phases(emit, "web_search_call", index, item, "in_progress", "searching", "completed")
    action: Json
    if out.action == "open_page":
        action = {"type": "open_page", "url": out.url}
    elif out.action == "find_in_page":
        action = {"type": "find_in_page", "url": out.url, "pattern": out.pattern}
    else:
        action = {"type": "search", "query": out.query, "queries": [out.query]}
        if "web_search_call.action.sources" in emit.turn.include:
            action["sources"] = [
                {"type": "url", "url": source} if isinstance(source, str) else dict(source) for source in out.sources
            ]
    item.update(status="completed", action=action)
    return emit.done(index, item)


def file_search(emit: Emitter, out: FileSearch) -> Json:
    """A file_search_call: in_progress, searching, completed; results only when included."""
    item: Json = {
        "id": new_id("fs"),
        "type": "file_search_call",
        "status": "in_progress",
        "queries": [],
        "results": None,
    }
    index = emit.added(item)
    _phases(emit, "file_search_call", index, item, "in_progress", "searching", "completed")
    results = None
    if "file_search_call.results" in emit.turn.include:
        results = [{"attributes": {}, **result} for result in out.results]
    item.update(status="completed", queries=list(out.queries), results=results)
    return emit.done(index, item)


def code_interpreter(emit: Emitter, out: CodeInterpreter) -> Json:
    """A code_interpreter_call: in_progress, code deltas and done, interpreting, completed."""
    item: Json = {
        "id": new_id("ci"),
        "type": "code_interpreter_call",
        "status": "in_progress",
        "code": "",
        "container_id": out.container_id,
        "outputs": None,
    }
    index = emit.added(item)
    _phases(emit, "code_interpreter_call", index, item, "in_progress")
    emit.deltas("response.code_interpreter_call_code.delta", index, item, chunks(out.code, 16))
    emit.on_item("response.code_interpreter_call_code.done", index, item, code=out.code)
    _phases(emit, "code_interpreter_call", index, item, "interpreting", "completed")
    outputs = None
    if "code_interpreter_call.outputs" in emit.turn.include:
        outputs = [{"type": "logs", "logs": out.logs}] if out.logs else []
        outputs += [{"type": "image", "url": url} for url in out.files]
    item.update(status="completed", code=out.code, outputs=outputs)
    return emit.done(index, item)


def image_generation(emit: Emitter, out: ImageGeneration) -> Json:
    """An image_generation_call: in_progress, generating, partial images, completed."""
    item: Json = {"id": new_id("ig"), "type": "image_generation_call", "status": "in_progress", "result": None}
    index = emit.added(item)
    _phases(emit, "image_generation_call", index, item, "in_progress", "generating")
    settings: dict[str, Any] = {
        "background": "opaque",
        "output_format": out.output_format,
        "quality": "high",
        "size": out.size,
    }
    for number in range(out.partials):
        emit.on_item(
            "response.image_generation_call.partial_image",
            index,
            item,
            emit.delay,
            **settings,
            partial_image_b64=out.png_b64,
            partial_image_index=number,
        )
    _phases(emit, "image_generation_call", index, item, "completed")
    item.update(status="completed", result=out.png_b64, revised_prompt=out.revised_prompt, **settings)
    return emit.done(index, item)


def mcp_list_tools(emit: Emitter, out: McpListTools) -> Json:
    """An mcp_list_tools item: in_progress, completed."""
    item: Json = {"id": new_id("mcpl"), "type": "mcp_list_tools", "server_label": out.server_label, "tools": []}
    index = emit.added(item)
    _phases(emit, "mcp_list_tools", index, item, "in_progress", "completed")
    item["tools"] = [{"annotations": None, "description": None, "input_schema": {}, **tool} for tool in out.tools]
    return emit.done(index, item)


def mcp_approval_request(emit: Emitter, out: McpApprovalRequest) -> Json:
    """An mcp_approval_request item: only added and done, no events of its own."""
    item: Json = {
        "id": new_id("mcpr"),
        "type": "mcp_approval_request",
        "server_label": out.server_label,
        "name": out.name,
        "arguments": json_text(out.arguments),
    }
    return emit.done(emit.added(item), item)


def mcp_call(emit: Emitter, out: McpCall) -> Json:
    """An mcp_call: in_progress, argument deltas and done, then completed or failed."""
    item: Json = {
        "id": new_id("mcp"),
        "type": "mcp_call",
        "status": "in_progress",
        "server_label": out.server_label,
        "name": out.name,
        "arguments": "",
        # A call the client approved in this request points back at the approval request.
        "approval_request_id": emit.turn.approvals.get((out.server_label, out.name)),
        "output": None,
        "error": None,
    }
    index = emit.added(item)
    arguments = json_text(out.arguments)
    _phases(emit, "mcp_call", index, item, "in_progress")
    emit.deltas("response.mcp_call_arguments.delta", index, item, chunks(arguments))
    emit.on_item("response.mcp_call_arguments.done", index, item, arguments=arguments)
    failed = out.error is not None
    _phases(emit, "mcp_call", index, item, "failed" if failed else "completed")
    error = out.error
    if isinstance(error, str):
        error = {"type": "mcp_tool_execution_error", "content": [{"type": "text", "text": error}]}
    item.update(status="failed" if failed else "completed", arguments=arguments, output=out.output, error=error)
    return emit.done(index, item)
