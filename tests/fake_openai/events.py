"""The response object and the SSE events of its lifecycle, as the real API sends them."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any, Union

from .items import new_id
from .scripts import Failed, Incomplete, Text, split_text

# (seconds to sleep before writing, event dict or SSE comment line)
Step = tuple[float, Union[dict[str, Any], str]]


@dataclass
class Lifecycle:
    """Every step of one streamed response, and the response it ends with."""

    steps: list[Step]
    final: dict[str, Any]

    def events(self) -> list[dict[str, Any]]:
        """The event dicts only (no comments), in order."""
        return [event for _, event in self.steps if isinstance(event, dict)]


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
        "service_tier": body.get("service_tier") or "default",
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


def usage(input_tokens: int, output_tokens: int, override: dict[str, Any] | None = None) -> dict[str, Any]:
    """A complete usage object; `override` replaces it as given."""
    if override is not None:
        return copy.deepcopy(override)
    return {
        "input_tokens": input_tokens,
        # This SDK requires cache_write_tokens next to cached_tokens.
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }


def lifecycle(script: Text | Failed | Incomplete, response: dict[str, Any], input_tokens: int) -> Lifecycle:
    """All steps from `response.created` to the terminal event, numbered from 0."""
    steps: list[Step] = [
        (0.0, {"type": "response.created", "response": copy.deepcopy(response)}),
        (0.0, {"type": "response.in_progress", "response": copy.deepcopy(response)}),
    ]
    final = copy.deepcopy(response)
    if isinstance(script, Text):
        steps += [(0.0, copy.deepcopy(extra)) for extra in script.extra]
        pieces = script.pieces()
        item = _message_steps(steps, pieces, script.delay, status="completed")
        final.update(status="completed", completed_at=int(time.time()), output=[item])
        final["usage"] = usage(input_tokens, len(pieces), script.usage)
        terminal = "response.completed"
    elif isinstance(script, Incomplete):
        pieces = script.pieces()
        item = _message_steps(steps, pieces, 0.0, status="incomplete")
        final.update(status="incomplete", output=[item], incomplete_details={"reason": script.reason})
        final["usage"] = usage(input_tokens, len(pieces), script.usage)
        terminal = "response.incomplete"
    else:
        pieces = split_text(script.text, None)
        # A failure mid-message leaves the item in progress, with no *.done events.
        output = [_message_steps(steps, pieces, 0.0, status=None)] if pieces else []
        final.update(status="failed", output=output)
        final["error"] = {"code": script.code, "message": script.message}
        final["usage"] = usage(input_tokens, len(pieces))
        terminal = "response.failed"
    steps.append((0.0, {"type": terminal, "response": final}))
    _number(steps)
    return Lifecycle(steps=steps, final=copy.deepcopy(final))


def _message_steps(steps: list[Step], pieces: list[str], delay: float, status: str | None) -> dict[str, Any]:
    """Append the events of one assistant message; return the item as it ends (status None: unfinished)."""
    item_id = new_id("msg")
    where = {"item_id": item_id, "output_index": 0, "content_index": 0}
    item: dict[str, Any] = {"id": item_id, "type": "message", "status": "in_progress", "content": []}
    item["role"] = "assistant"
    steps.append((0.0, {"type": "response.output_item.added", "output_index": 0, "item": copy.deepcopy(item)}))
    part: dict[str, Any] = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
    steps.append((0.0, {"type": "response.content_part.added", **where, "part": copy.deepcopy(part)}))
    for index, piece in enumerate(pieces):
        event = {"type": "response.output_text.delta", **where, "delta": piece, "logprobs": []}
        steps.append((delay if index else 0.0, event))
    part["text"] = "".join(pieces)
    item["content"] = [part]
    if status is None:
        return item
    steps.append((0.0, {"type": "response.output_text.done", **where, "text": part["text"], "logprobs": []}))
    steps.append((0.0, {"type": "response.content_part.done", **where, "part": copy.deepcopy(part)}))
    item["status"] = status
    steps.append((0.0, {"type": "response.output_item.done", "output_index": 0, "item": copy.deepcopy(item)}))
    return item


def _number(steps: list[Step]) -> None:
    """Give every event its `sequence_number`, counting from 0; comments get none."""
    number = 0
    for _, event in steps:
        if isinstance(event, dict):
            event["sequence_number"] = number
            number += 1
