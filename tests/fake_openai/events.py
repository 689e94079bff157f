"""The response object and the SSE events of its lifecycle, as the real API sends them."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from . import emit_tools
from .emit import Emitter, Step, Turn, function_call, message, reasoning
from .items import new_id
from .outputs import (
    CodeInterpreter,
    FileSearch,
    FunctionCall,
    ImageGeneration,
    Json,
    McpApprovalRequest,
    McpCall,
    McpListTools,
    Message,
    Output,
    Reasoning,
    WebSearch,
)
from .scripts import Endless, Failed, Incomplete, Reply, Script, Text

__all__ = ["Lifecycle", "Step", "Turn", "lifecycle", "new_response", "usage"]

BUILDERS: dict[type, Callable[[Emitter, Any], Json]] = {
    Message: message,
    Reasoning: reasoning,
    FunctionCall: function_call,
    WebSearch: emit_tools.web_search,
    FileSearch: emit_tools.file_search,
    CodeInterpreter: emit_tools.code_interpreter,
    ImageGeneration: emit_tools.image_generation,
    McpListTools: emit_tools.mcp_list_tools,
    McpApprovalRequest: emit_tools.mcp_approval_request,
    McpCall: emit_tools.mcp_call,
}


@dataclass
class Lifecycle:
    """Every step of one streamed response, and the response it ends with."""

    steps: Iterable[Step]  # a list, or EndlessSteps
    final: dict[str, Any]

    def events(self) -> list[dict[str, Any]]:
        """The event dicts only (no comments), in order (of a response that ends)."""
        assert isinstance(self.steps, list), "an endless response has no list of events"
        return [event for _, event in self.steps if isinstance(event, dict)]


class EndlessSteps:
    """The steps of a response that never ends; each iteration starts again, as a list's would."""

    def __init__(self, head: list[Step], script: Endless, item: Json, index: int) -> None:
        self.head, self.script, self.item, self.index = head, script, item, index

    def __iter__(self) -> Iterator[Step]:
        yield from copy.deepcopy(self.head)
        number = sum(isinstance(event, dict) for _, event in self.head)
        while True:
            if self.script.silent:
                yield self.script.delay, ": keep-alive"
                continue
            yield (
                self.script.delay,
                {
                    "type": "response.output_text.delta",
                    "item_id": self.item["id"],
                    "output_index": self.index,
                    "content_index": 0,
                    "delta": self.script.delta,
                    "logprobs": [],
                    "sequence_number": number,
                },
            )
            number += 1


def new_response(body: dict[str, Any], conversation_id: str | None) -> dict[str, Any]:
    """An in-progress response echoing the request's settings, as `response.created` carries it."""
    text = body.get("text") or {}
    return {
        "id": new_id("resp"),
        "object": "response",
        "created_at": int(time.time()),
        "status": "in_progress",
        "background": bool(body.get("background", False)),
        "completed_at": None,
        "conversation": {"id": conversation_id} if conversation_id else None,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "metadata": body.get("metadata") or {},
        "model": body.get("model"),
        "output": [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": body.get("reasoning") or {"effort": None, "summary": None},
        "safety_identifier": body.get("safety_identifier"),
        # The tier it ran on: auto runs as the project's default; fast is shown back as priority.
        "service_tier": {None: "default", "auto": "default", "fast": "priority"}.get(
            body.get("service_tier"), body.get("service_tier")
        ),
        "prompt_cache_retention": body.get("prompt_cache_retention"),
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": {"format": text.get("format") or {"type": "text"}, "verbosity": text.get("verbosity", "medium")},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_logprobs": body.get("top_logprobs", 0),
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": None,
        "user": body.get("user"),
    }


def usage(
    input_tokens: int, output_tokens: int, override: dict[str, Any] | None = None, reasoning_tokens: int = 0
) -> dict[str, Any]:
    """A complete usage object; fields in `override` win, missing ones are filled so it stays valid."""
    override = override or {}
    cached = {"cached_tokens": 0, "cache_write_tokens": 0, **override.get("input_tokens_details", {})}
    input_tokens = override.get("input_tokens", input_tokens)
    output_tokens = override.get("output_tokens", output_tokens)
    return {
        "input_tokens": input_tokens,
        # This SDK requires cache_write_tokens next to cached_tokens.
        "input_tokens_details": cached,
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens, **override.get("output_tokens_details", {})},
        "total_tokens": override.get("total_tokens", input_tokens + output_tokens),
    }


def as_reply(script: Text | Reply) -> Reply:
    """A Text is a Reply of one message."""
    if isinstance(script, Reply):
        return script
    message_out = Message(script.text, deltas=script.deltas)
    return Reply(message_out, usage=script.usage, delay=script.delay, cut_after=script.cut_after, extra=script.extra)


def lifecycle(
    script: Script,
    response: Json,
    input_tokens: int,
    turn: Turn | None = None,
    lead: Callable[[Emitter], Json] | None = None,
) -> Lifecycle:
    """All steps from `response.created` to the terminal event, numbered from 0; `lead` writes a first item."""
    background = bool(response.get("background"))
    steps: list[Step] = []
    if background:
        # A background response is announced queued, then starts when a worker picks it up.
        queued = {**copy.deepcopy(response), "status": "queued"}
        steps += [
            (0.0, {"type": "response.created", "response": queued}),
            (0.0, {"type": "response.queued", "response": copy.deepcopy(queued)}),
        ]
    else:
        steps.append((0.0, {"type": "response.created", "response": copy.deepcopy(response)}))
    pause = script.queued if background and isinstance(script, Reply) else 0.0
    steps.append((pause, {"type": "response.in_progress", "response": copy.deepcopy(response)}))
    final = copy.deepcopy(response)
    emit = Emitter(steps, turn or Turn())
    if isinstance(script, Endless):
        item: Json = {
            "id": new_id("msg"),
            "type": "message",
            "status": "in_progress",
            "content": [],
            "role": "assistant",
        }
        index = emit.added(item)
        emit.on_item(
            "response.content_part.added",
            index,
            item,
            content_index=0,
            part={"type": "output_text", "annotations": [], "logprobs": [], "text": ""},
        )
        _number(steps)
        return Lifecycle(steps=EndlessSteps(steps, script, item, index), final=final)
    if isinstance(script, (Text, Reply)):
        reply = as_reply(script)
        steps += [(0.0, copy.deepcopy(extra)) for extra in reply.extra]
        emit.delay = reply.delay
        output = ([lead(emit)] if lead else []) + [_build(emit, out) for out in reply.outputs]
        final.update(status="completed", completed_at=int(time.time()), output=output)
        terminal, override = "response.completed", reply.usage
    elif isinstance(script, Incomplete):
        item = message(emit, Message(script.text, deltas=script.deltas), status="incomplete")
        final.update(status="incomplete", output=[item], incomplete_details={"reason": script.reason})
        terminal, override = "response.incomplete", script.usage
    else:
        assert isinstance(script, Failed), f"no lifecycle for {script!r}"
        # A failure mid-message leaves the item in progress, with no *.done events.
        output = [message(emit, Message(script.text), status=None)] if script.text else []
        if script.event:
            error = {"type": script.code, "code": script.code, "message": script.message, "param": None}
            steps.append((0.0, {"type": "error", "error": error}))
        final.update(status="failed", output=output)
        final["error"] = {"code": script.code, "message": script.message}
        terminal, override = "response.failed", None
    final["usage"] = usage(input_tokens, emit.output_tokens, override, emit.reasoning_tokens)
    steps.append((0.0, {"type": terminal, "response": final}))
    _number(steps)
    return Lifecycle(steps=steps, final=copy.deepcopy(final))


def _build(emit: Emitter, out: Output) -> Json:
    """The events of one output item; the item as it ends."""
    return BUILDERS[type(out)](emit, out)


def _number(steps: list[Step]) -> None:
    """Give every event its `sequence_number`, counting from 0; comments get none."""
    number = 0
    for _, event in steps:
        if isinstance(event, dict):
            event["sequence_number"] = number
            number += 1
