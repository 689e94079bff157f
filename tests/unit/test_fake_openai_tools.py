"""The double's tool event families, function-call and MCP follow-ups, checked through the real SDK."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import openai
import pytest
from openai import OpenAI
from openai._models import BaseModel
from openai.types.conversations import ConversationItem
from openai.types.responses import Response, ResponseItem
from pydantic import TypeAdapter

from tests.fake_openai import (
    CodeInterpreter,
    FakeOpenAI,
    FileSearch,
    FunctionCall,
    ImageGeneration,
    McpApprovalRequest,
    McpCall,
    McpListTools,
    Message,
    Reasoning,
    Reply,
    Text,
    WebSearch,
    container_file_citation,
    file_citation,
    tiny_png,
    tiny_png_b64,
    url_citation,
)
from tests.unit.test_fake_openai import EVENT, MODEL, RESPONSE, client_for, raw_stream

WEATHER = {"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}
MCP_TOOL = {
    "type": "mcp",
    "server_label": "docs",
    "server_url": "https://mcp.example.com",
    "require_approval": "always",
}
FILE_ROW = {"file_id": "file-1", "filename": "notes.md", "score": 0.9, "text": "the notes"}
# Fields the API sends that this SDK's models do not declare: `name` is in the OpenAPI spec, and the
# live API echoes `store` in every response although neither the spec nor the SDK lists it.
SPEC_ONLY = {("response.function_call_arguments.done", "name"), ("response", "store")}


def undeclared(model: BaseModel, where: str) -> set[tuple[str, str]]:
    """(event type, field) for every field, at any depth, that the SDK's model does not declare."""
    where = "response" if isinstance(model, Response) else where
    found = {(where, key) for key in (model.model_extra or {})}
    for name in type(model).model_fields:
        values = getattr(model, name)
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, BaseModel):
                found |= undeclared(value, where)
    return found


def checked_stream(client: OpenAI, **params: Any) -> list[dict[str, Any]]:
    """A raw streamed create whose events all validate, numbered 0.., declaring only known fields."""
    events, _ = raw_stream(client, **params)
    assert [event["sequence_number"] for event in events] == list(range(len(events)))
    for event in events:
        assert undeclared(EVENT.validate_python(event), event["type"]) <= SPEC_ONLY
    assert undeclared(RESPONSE.validate_python(events[-1]["response"]), "response") <= SPEC_ONLY
    return events


def item_events(events: list[dict[str, Any]]) -> list[str]:
    """Event types between `response.in_progress` and the terminal event."""
    return [event["type"] for event in events[2:-1]]


FAMILIES = [
    (
        Reasoning(("Plan it.", "Do it.")),
        [
            "response.output_item.added",
            "response.reasoning_summary_part.added",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.reasoning_summary_part.added",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.output_item.done",
        ],
    ),
    (
        FunctionCall("get_weather", {"city": "Paris"}),
        [
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
        ],
    ),
    (
        WebSearch("paris weather", sources=("https://a.example",)),
        [
            "response.output_item.added",
            "response.web_search_call.in_progress",
            "response.web_search_call.searching",
            "response.web_search_call.completed",
            "response.output_item.done",
        ],
    ),
    (
        WebSearch(action="open_page", url="https://a.example/page"),
        [
            "response.output_item.added",
            "response.web_search_call.in_progress",
            "response.web_search_call.searching",
            "response.web_search_call.completed",
            "response.output_item.done",
        ],
    ),
    (
        WebSearch(action="find_in_page", url="https://a.example/page", pattern="rain"),
        [
            "response.output_item.added",
            "response.web_search_call.in_progress",
            "response.web_search_call.searching",
            "response.web_search_call.completed",
            "response.output_item.done",
        ],
    ),
    (
        FileSearch(("notes",), results=(FILE_ROW,)),
        [
            "response.output_item.added",
            "response.file_search_call.in_progress",
            "response.file_search_call.searching",
            "response.file_search_call.completed",
            "response.output_item.done",
        ],
    ),
    (
        CodeInterpreter("print(1 + 1)", logs="2\n", files=("https://files.example/plot.png",)),
        [
            "response.output_item.added",
            "response.code_interpreter_call.in_progress",
            "response.code_interpreter_call_code.delta",
            "response.code_interpreter_call_code.done",
            "response.code_interpreter_call.interpreting",
            "response.code_interpreter_call.completed",
            "response.output_item.done",
        ],
    ),
    (
        ImageGeneration(tiny_png_b64(), partials=2),
        [
            "response.output_item.added",
            "response.image_generation_call.in_progress",
            "response.image_generation_call.generating",
            "response.image_generation_call.partial_image",
            "response.image_generation_call.partial_image",
            "response.image_generation_call.completed",
            "response.output_item.done",
        ],
    ),
    (
        McpListTools("docs", ({"name": "search", "input_schema": {"type": "object"}, "description": "Search"},)),
        [
            "response.output_item.added",
            "response.mcp_list_tools.in_progress",
            "response.mcp_list_tools.completed",
            "response.output_item.done",
        ],
    ),
    (McpApprovalRequest("docs", "search", {"q": "x"}), ["response.output_item.added", "response.output_item.done"]),
    (
        McpCall("docs", "search", {"q": 1}, output="found"),
        [
            "response.output_item.added",
            "response.mcp_call.in_progress",
            "response.mcp_call_arguments.delta",
            "response.mcp_call_arguments.done",
            "response.mcp_call.completed",
            "response.output_item.done",
        ],
    ),
    (
        McpCall("docs", "search", {"q": 1}, error="server down"),
        [
            "response.output_item.added",
            "response.mcp_call.in_progress",
            "response.mcp_call_arguments.delta",
            "response.mcp_call_arguments.done",
            "response.mcp_call.failed",
            "response.output_item.done",
        ],
    ),
]
EVERYTHING = ["web_search_call.action.sources", "file_search_call.results", "code_interpreter_call.outputs"]


@pytest.mark.parametrize(("output", "family"), FAMILIES, ids=lambda value: type(value).__name__)
def test_each_output_kind_streams_its_event_family(fake_openai: FakeOpenAI, output: Any, family: list[str]) -> None:
    fake_openai.queue(Reply(output), Reply(output))
    client = client_for(fake_openai)
    params: dict[str, Any] = {"input": "go", "include": EVERYTHING, "reasoning": {"summary": "auto"}}
    events = checked_stream(client, **params)
    assert item_events(events) == family and events[-1]["type"] == "response.completed"
    final = events[-1]["response"]
    assert final["output"] == [events[-2]["item"]]
    # The strict stream helper accepts the same lifecycle and parses the final response.
    with client.responses.stream(model=MODEL, **params) as stream:
        for _ in stream:
            pass
        parsed = stream.get_final_response()
    assert isinstance(parsed, Response) and parsed.output[0].type == final["output"][0]["type"]


def test_message_annotations_are_streamed_and_kept(fake_openai: FakeOpenAI) -> None:
    text = "See the docs and the file."
    notes = (
        url_citation("https://docs.example", "Docs", 8, 12),
        file_citation("file-1", "notes.md", 25),
        container_file_citation("cntr_fake0001", "cfile_1", "plot.png", 21, 25),
    )
    fake_openai.queue(Reply(Message(text, annotations=notes), Message("Second.")))
    events = checked_stream(client_for(fake_openai), input="x")
    added = [event for event in events if event["type"] == "response.output_text.annotation.added"]
    assert [event["annotation"] for event in added] == list(notes)
    assert [event["annotation_index"] for event in added] == [0, 1, 2]
    final = Response.model_validate(events[-1]["response"])
    assert final.output_text == text + "Second."
    assert [a.type for a in final.output[0].content[0].annotations] == [n["type"] for n in notes]
    assert [item.id for item in final.output] == [event["item_id"] for event in (added[0], events[-3])]
    with pytest.raises(ValueError):
        Message("x", annotations=({"type": "url_citation", "url": "https://a"},))


def test_reasoning_summaries_only_when_asked_and_usage_counts_reasoning(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Reply(Reasoning(("Think.",)), Message("Done.")), Reply(Reasoning(("Think.",)), Message("Done.")))
    client = client_for(fake_openai)
    asked = client.responses.create(model=MODEL, input="x", reasoning={"effort": "low", "summary": "auto"})
    assert [part.text for part in asked.output[0].summary] == ["Think."] and asked.output[0].encrypted_content
    assert asked.usage.output_tokens_details.reasoning_tokens > 0
    assert asked.usage.output_tokens > asked.usage.output_tokens_details.reasoning_tokens
    events = checked_stream(client, input="x")
    assert not [event for event in events if "reasoning_summary" in event["type"]]
    assert events[-1]["response"]["output"][0]["summary"] == []


def test_include_gates_tool_details(fake_openai: FakeOpenAI) -> None:
    tools = (
        WebSearch("q", sources=("https://a.example",)),
        FileSearch(("q",), results=(FILE_ROW,)),
        CodeInterpreter("1", logs="1", files=("https://f.example/a.png",)),
    )
    fake_openai.queue(Reply(*tools), Reply(*tools))
    client = client_for(fake_openai)
    bare = client.responses.create(model=MODEL, input="x").output
    assert bare[0].action.sources is None and bare[0].action.query == "q"
    assert bare[1].results is None and bare[1].queries == ["q"] and bare[2].outputs is None
    full = client.responses.create(model=MODEL, input="x", include=EVERYTHING).output
    assert [source.url for source in full[0].action.sources] == ["https://a.example"]
    assert full[1].results[0].filename == "notes.md" and full[1].results[0].score == 0.9
    assert [(o.type, getattr(o, "logs", None) or o.url) for o in full[2].outputs] == [
        ("logs", "1"),
        ("image", "https://f.example/a.png"),
    ]
    assert full[2].container_id == "cntr_fake0001" and full[2].code == "1"


def test_image_generation_partials_and_result_are_the_png(fake_openai: FakeOpenAI) -> None:
    png = tiny_png((0, 128, 255))
    fake_openai.queue(Reply(ImageGeneration(base64.b64encode(png).decode(), partials=3, revised_prompt="a dot")))
    events = list(client_for(fake_openai).responses.create(model=MODEL, input="draw", stream=True))
    partials = [e for e in events if e.type == "response.image_generation_call.partial_image"]
    assert [e.partial_image_index for e in partials] == [0, 1, 2]
    item = events[-1].response.output[0]
    assert base64.b64decode(item.result) == png and png.startswith(b"\x89PNG") and item.revised_prompt == "a dot"


def test_function_call_then_output_with_previous_response_id(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Reply(FunctionCall("get_weather", {"city": "Paris"}, call_id="call_1")), Text("Sunny."))
    client = client_for(fake_openai)
    first = client.responses.create(model=MODEL, input="weather?", tools=[WEATHER])
    call = first.output[0]
    assert first.status == "completed" and call.type == "function_call"
    assert json.loads(call.arguments) == {"city": "Paris"}
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model=MODEL,
            previous_response_id=first.id,
            input=[{"type": "function_call_output", "call_id": "call_wrong", "output": "x"}],
        )
    assert caught.value.param == "input"
    assert caught.value.body["message"] == "No tool call found for function call output with call_id call_wrong."
    with pytest.raises(openai.BadRequestError, match="No tool output found for function call call_1"):
        client.responses.create(model=MODEL, previous_response_id=first.id, input="never mind")
    follow = [{"type": "function_call_output", "call_id": "call_1", "output": '{"sky": "clear"}'}]
    second = client.responses.create(model=MODEL, previous_response_id=first.id, input=follow)
    assert second.output_text == "Sunny." and fake_openai.last_input() == follow
    assert [item.type for item in client.responses.input_items.list(second.id)] == ["function_call_output"]


def test_parallel_calls_in_a_conversation_need_both_outputs(fake_openai: FakeOpenAI) -> None:
    calls = Reply(FunctionCall("get_weather", {"city": "Paris"}), FunctionCall("get_weather", '{"city":"Oslo"}'))
    fake_openai.queue(calls, Text("Both done."))
    client = client_for(fake_openai)
    conversation = client.conversations.create()
    first = client.responses.create(model=MODEL, input="two cities", tools=[WEATHER], conversation=conversation.id)
    ids = [item.call_id for item in first.output]
    assert len(set(ids)) == 2 and [json.loads(item.arguments)["city"] for item in first.output] == ["Paris", "Oslo"]
    outputs = [{"type": "function_call_output", "call_id": call_id, "output": "ok"} for call_id in ids]
    with pytest.raises(openai.BadRequestError, match=f"No tool output found for function call {ids[1]}"):
        client.responses.create(model=MODEL, input=outputs[:1], conversation=conversation.id)
    second = client.responses.create(model=MODEL, input=outputs, conversation=conversation.id)
    assert second.output_text == "Both done."
    items = client.conversations.items.list(conversation.id, order="asc").data
    assert [item.type for item in items] == [
        "message",
        "function_call",
        "function_call",
        "function_call_output",
        "function_call_output",
        "message",
    ]


def test_mcp_approval_then_call_and_answer(fake_openai: FakeOpenAI) -> None:
    tools = ({"name": "search", "input_schema": {"type": "object"}},)
    fake_openai.queue(
        Reply(McpListTools("docs", tools), McpApprovalRequest("docs", "search", {"q": "mcp"})),
        Reply(McpCall("docs", "search", {"q": "mcp"}, output="3 hits"), Message("Found 3.")),
    )
    client = client_for(fake_openai)
    first = client.responses.create(model=MODEL, input="search docs", tools=[MCP_TOOL])
    listing, request = first.output
    assert first.status == "completed" and listing.tools[0].name == "search"
    assert request.type == "mcp_approval_request" and json.loads(request.arguments) == {"q": "mcp"}
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model=MODEL,
            previous_response_id=first.id,
            tools=[MCP_TOOL],
            input=[{"type": "mcp_approval_response", "approval_request_id": "mcpr_unknown", "approve": True}],
        )
    assert caught.value.param == "input" and "mcpr_unknown" in caught.value.message
    approval = {"type": "mcp_approval_response", "approval_request_id": request.id, "approve": True}
    events = checked_stream(client, previous_response_id=first.id, tools=[MCP_TOOL], input=[approval])
    final = Response.model_validate(events[-1]["response"])
    call, answer = final.output
    assert call.type == "mcp_call" and call.status == "completed" and call.output == "3 hits"
    assert call.approval_request_id == request.id and final.output_text == "Found 3."


def test_failed_mcp_call_carries_its_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Reply(McpCall("docs", "search", "{}", error="server down"), Message("Sorry.")))
    call = client_for(fake_openai).responses.create(model=MODEL, input="x", tools=[MCP_TOOL]).output[0]
    assert call.status == "failed" and call.output is None
    assert call.error.type == "mcp_tool_execution_error" and call.error.content[0]["text"] == "server down"


def test_reply_delay_and_extra_events(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Reply(Message("a b"), FunctionCall("f", {}), delay=0.05, extra=({"type": "response.ping"},)))
    started = time.monotonic()
    events, _ = raw_stream(client_for(fake_openai), input="x")
    assert time.monotonic() - started >= 0.05 and events[2]["type"] == "response.ping"
    with pytest.raises(TypeError):
        Reply("not an output")  # type: ignore[arg-type]


def test_stored_tool_items_validate_as_conversation_and_input_items(fake_openai: FakeOpenAI) -> None:
    kinds = [output for output, _ in FAMILIES if not isinstance(output, McpCall)]
    fake_openai.queue(Reply(*kinds, Message("ok")), Text("after"))
    client = client_for(fake_openai)
    conversation = client.conversations.create()
    first = client.responses.create(model=MODEL, input="all", conversation=conversation.id, include=EVERYTHING)
    call, request = first.output[1], first.output[-2]
    follow = [
        {"type": "function_call_output", "call_id": call.call_id, "output": "ok"},
        {"type": "mcp_approval_response", "approval_request_id": request.id, "approve": False},
    ]
    second = client.responses.create(model=MODEL, input=follow, conversation=conversation.id)
    pages = [
        (TypeAdapter(ConversationItem), client.conversations.items.with_raw_response.list(conversation.id, limit=50)),
        (TypeAdapter(ResponseItem), client.responses.input_items.with_raw_response.list(second.id)),
    ]
    for adapter, raw in pages:
        for item in raw.http_response.json()["data"]:
            assert undeclared(adapter.validate_python(item), item["type"]) == set()
    assert len(client.conversations.items.list(conversation.id, limit=50).data) == 1 + len(kinds) + 1 + 2 + 1
