"""Building a response's events item by item: messages, reasoning and function calls."""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass, field
from typing import Any

from .items import new_id
from .outputs import FunctionCall, Json, Message, Reasoning, json_text
from .recording import Frame
from .text import chunks, split_text

# (seconds to sleep before writing, event dict, SSE comment line or recorded frame)
Step = tuple[float, dict[str, Any] | str | Frame]


@dataclass(frozen=True)
class Turn:
    """What the request asks of its response beyond the script: included fields, summaries, approvals."""

    include: frozenset[str] = frozenset()
    summaries: bool = False
    # (server_label, tool name) -> id of the approval request the client approved in this request.
    approvals: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def of(cls, body: dict[str, Any], approvals: dict[tuple[str, str], str] | None = None) -> Turn:
        """The turn a request body describes."""
        reasoning = body.get("reasoning") if isinstance(body.get("reasoning"), dict) else {}
        # The API writes summaries only when asked (`summary`, or the older `generate_summary`).
        summaries = bool(reasoning.get("summary") or reasoning.get("generate_summary"))
        return cls(frozenset(body.get("include") or ()), summaries, dict(approvals or {}))


class Emitter:
    """Appends one response's events, giving each output item its index."""

    def __init__(self, steps: list[Step], turn: Turn, delay: float = 0.0) -> None:
        self.steps = steps
        self.turn = turn
        self.delay = delay
        self.next_index = 0
        self.output_tokens = 0
        self.reasoning_tokens = 0

    def event(self, kind: str, pause: float = 0.0, **fields: Any) -> None:
        """One event; `sequence_number` is filled in when the lifecycle is complete."""
        self.steps.append((pause, {"type": kind, **copy.deepcopy(fields)}))

    def added(self, item: Json) -> int:
        """Announce a new output item; its output index."""
        index = self.next_index
        self.next_index += 1
        self.event("response.output_item.added", output_index=index, item=item)
        return index

    def done(self, index: int, item: Json) -> Json:
        """Finish an output item; the item as it ends."""
        self.event("response.output_item.done", output_index=index, item=item)
        return item

    def on_item(self, kind: str, index: int, item: Json, pause: float = 0.0, **fields: Any) -> None:
        """An event about one item (`item_id` and `output_index`)."""
        self.event(kind, pause, item_id=item["id"], output_index=index, **fields)

    def deltas(self, kind: str, index: int, item: Json, pieces: list[str], **fields: Any) -> None:
        """Delta events, `delay` seconds apart; each piece counts as an output token."""
        for number, piece in enumerate(pieces):
            self.on_item(kind, index, item, self.delay if number else 0.0, **fields, delta=piece)
        self.output_tokens += len(pieces)


def message(emit: Emitter, out: Message, status: str | None = "completed") -> Json:
    """A message's events; status None leaves it unfinished, as a failure mid-message does."""
    item: Json = {"id": new_id("msg"), "type": "message", "status": "in_progress", "content": [], "role": "assistant"}
    index = emit.added(item)
    where = {"content_index": 0}
    part: Json = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
    emit.on_item("response.content_part.added", index, item, **where, part=part)
    emit.deltas("response.output_text.delta", index, item, out.pieces(), **where, logprobs=[])
    part["text"] = out.text
    for number, annotation in enumerate(out.annotations):
        emit.on_item(
            "response.output_text.annotation.added",
            index,
            item,
            **where,
            annotation_index=number,
            annotation=annotation,
        )
        part["annotations"].append(copy.deepcopy(annotation))
    item["content"] = [part]
    if status is None:
        return item
    emit.on_item("response.output_text.done", index, item, **where, text=out.text, logprobs=[])
    emit.on_item("response.content_part.done", index, item, **where, part=part)
    item["status"] = status
    return emit.done(index, item)


def reasoning(emit: Emitter, out: Reasoning) -> Json:
    """A reasoning item with its summary parts, each part added, streamed and done."""
    item: Json = {"id": new_id("rs"), "type": "reasoning", "summary": []}
    index = emit.added(item)
    for number, text in enumerate(out.summary if emit.turn.summaries else ()):
        where = {"summary_index": number}
        emit.on_item(
            "response.reasoning_summary_part.added", index, item, **where, part={"type": "summary_text", "text": ""}
        )
        emit.deltas("response.reasoning_summary_text.delta", index, item, split_text(text, None), **where)
        emit.on_item("response.reasoning_summary_text.done", index, item, **where, text=text)
        part = {"type": "summary_text", "text": text}
        emit.on_item("response.reasoning_summary_part.done", index, item, **where, part=part)
        item["summary"].append(part)
    # Hidden reasoning is billed as output: output_tokens includes reasoning_tokens.
    emit.reasoning_tokens += out.tokens
    emit.output_tokens += out.tokens
    # The API returns encrypted reasoning by default; clients send it back when stateless.
    item["encrypted_content"] = "gAAAAB" + base64.b64encode(item["id"].encode()).decode()
    return emit.done(index, item)


def function_call(emit: Emitter, out: FunctionCall) -> Json:
    """A function call whose arguments stream as JSON pieces."""
    arguments = json_text(out.arguments)
    item: Json = {
        "id": new_id("fc"),
        "type": "function_call",
        "status": "in_progress",
        "arguments": "",
        "call_id": out.call_id or new_id("call"),
        "name": out.name,
    }
    index = emit.added(item)
    emit.deltas("response.function_call_arguments.delta", index, item, chunks(arguments))
    # The OpenAPI spec sends `name` here too, although this SDK's model does not declare it.
    emit.on_item("response.function_call_arguments.done", index, item, name=out.name, arguments=arguments)
    item.update(arguments=arguments, status="completed")
    return emit.done(index, item)
