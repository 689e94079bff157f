"""PURE: Responses stream events -> Turn. No I/O, no Streamlit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from lib.items import LIVE_FIELD_CHARS, Item, Pieces

# How the API says a response ended (queued and in_progress are on the way there).
ENDED_RESPONSE_STATUSES = frozenset({"completed", "incomplete", "failed", "cancelled"})


@dataclass
class Usage:
    """Token counts of one turn, summed over its responses."""

    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0

    def add(self, usage: Any) -> None:
        """Add the SDK's ResponseUsage (object or dict)."""
        data = usage if isinstance(usage, dict) else usage.model_dump()
        self.input_tokens += data.get("input_tokens") or 0
        self.cached_tokens += (data.get("input_tokens_details") or {}).get("cached_tokens") or 0
        self.output_tokens += data.get("output_tokens") or 0
        self.reasoning_tokens += (data.get("output_tokens_details") or {}).get("reasoning_tokens") or 0

    def as_api(self) -> dict[str, Any]:
        """The counts in the API's usage shape (what pricing reads)."""
        return {
            "input_tokens": self.input_tokens,
            "input_tokens_details": {"cached_tokens": self.cached_tokens},
            "output_tokens": self.output_tokens,
            "output_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
            "total_tokens": self.total_tokens,
        }

    @property
    def total_tokens(self) -> int:
        """Input plus output (cached and reasoning are already inside them)."""
        return self.input_tokens + self.output_tokens


@dataclass
class Round:
    """One response of a turn as it ended (a turn spans several when functions are called)."""

    response_id: str
    status: str
    usage: Usage = field(default_factory=Usage)
    error: str | None = None


@dataclass
class Turn:
    """One user prompt and everything the assistant produced for it."""

    prompt: str
    items: list[Item] = field(default_factory=list)
    status: str = "pending"
    response_id: str | None = None
    response_ids: list[str] = field(default_factory=list)
    model: str | None = None
    usage: Usage | None = None
    error: str | None = None
    last_sequence: int = -1
    ttft_ms: int | None = None  # set by the caller, who owns the clock
    latency_ms: int | None = None
    cost_usd: float | None = None
    structured: bool = False  # the answer follows a JSON schema
    rounds: list[Round] = field(default_factory=list)
    background: bool = False  # created with background=True: can be resumed and cancelled
    retries: int = 0  # requests retried after a rate limit or server error
    notice: str | None = None  # what is happening right now ("Retrying in 4 s…"), cleared when it passes
    requests: list[dict[str, Any]] = field(default_factory=list)  # what was sent, for "View as code"
    images: list[bytes] = field(default_factory=list)  # images attached to the prompt, for thumbnails
    id: str = field(default_factory=lambda: uuid.uuid4().hex, compare=False)  # stable keys; id() is reused

    @property
    def text(self) -> str:
        """All message text of the turn, in output order."""
        return "\n\n".join(i.text for i in self.items if i.type == "message" and i.text)

    @property
    def finished(self) -> bool:
        """True once the API said how the response ended."""
        return self.status in ENDED_RESPONSE_STATUSES

    def item(self, item_id: str | None, item_type: str = "message") -> Item:
        """The item with this id, created if an event arrives before its output_item.added."""
        for existing in reversed(self.items):
            if existing.id == item_id:
                return existing
        created = Item(id=item_id or f"item_{len(self.items)}", type=item_type, response_id=self.response_id)
        self.items.append(created)
        return created


def as_data(value: Any) -> dict[str, Any]:
    """An SDK object as the plain dict the API sent, without nulls.

    The SDK builds what it cannot type exactly (a web search source `{"type": "api", "name": ...}`) without
    validation, and pydantic then warns on every dump; it still writes every field as received, so the
    warnings are only noise.
    """
    return value if isinstance(value, dict) else value.model_dump(exclude_none=True, warnings=False)



def _start_response(turn: Turn, response: Any) -> None:
    if response.id != turn.response_id:
        turn.response_id = response.id
        turn.response_ids.append(response.id)
        turn.last_sequence = -1
    turn.model = response.model or turn.model
    turn.status = response.status or "in_progress"


def finish_response(turn: Turn, response: Any) -> None:
    """Fold a final Response (from a terminal event, or from polling) into the turn."""
    _start_response(turn, response)
    for output in response.output or []:
        add_output_item(turn, output)
    ended = Round(response_id=response.id, status=response.status or "completed")
    if response.usage is not None:
        ended.usage.add(response.usage)
        turn.usage = turn.usage or Usage()
        turn.usage.add(response.usage)
    if response.error is not None:
        turn.error = ended.error = response.error.message
    elif response.status == "incomplete" and response.incomplete_details is not None:
        turn.error = ended.error = f"The answer is incomplete: {response.incomplete_details.reason}."
    turn.rounds = [r for r in turn.rounds if r.response_id != response.id] + [ended]


def add_output_item(turn: Turn, output: Any) -> Item:
    """Merge a finished output item (SDK object or dict) into the turn."""
    data = as_data(output)
    item = turn.item(data.get("id"), data.get("type", "message"))
    item.type = data.get("type", item.type)
    item.status = data.get("status") or "completed"
    item.replace_data(data)
    if item.type == "message":
        texts = [c.get("text", "") for c in data.get("content", []) if c.get("type") == "output_text"]
        refusals = [c.get("refusal", "") for c in data.get("content", []) if c.get("type") == "refusal"]
        if texts:
            item.set_text("".join(texts))
            item.annotations = [a for c in data["content"] for a in c.get("annotations", []) or []]
        if refusals:
            item.refusal = "".join(refusals)
    elif item.type == "reasoning" and data.get("summary"):
        item.summary = [s.get("text", "") for s in data["summary"]]
    return item


def apply(turn: Turn, event: Any) -> bool:
    """Fold one stream event into the turn; return True when something visible changed.

    Dispatches on `event.type`, never on the class: the SDK builds unknown events as the
    first member of its union. Unknown events, and repeated or out-of-order sequence
    numbers, are ignored.
    """
    kind = getattr(event, "type", None)
    sequence = getattr(event, "sequence_number", None)
    if kind in {"response.created", "response.queued"}:
        _start_response(turn, event.response)
    if isinstance(sequence, int):
        if sequence <= turn.last_sequence:
            return False
        turn.last_sequence = sequence
    handler = _HANDLERS.get(kind or "")
    return bool(handler and handler(turn, event))


def _on_started(turn: Turn, event: Any) -> bool:
    _start_response(turn, event.response)
    return True


def _on_finished(turn: Turn, event: Any) -> bool:
    finish_response(turn, event.response)
    return True


def _on_item_added(turn: Turn, event: Any) -> bool:
    data = as_data(event.item)
    item = turn.item(data.get("id"), data.get("type", "message"))
    item.replace_data(data)
    return True


def _on_item_done(turn: Turn, event: Any) -> bool:
    add_output_item(turn, event.item)
    return True


def _on_text_delta(turn: Turn, event: Any) -> bool:
    turn.item(event.item_id).pieces.append(event.delta)
    return True


def _on_text_done(turn: Turn, event: Any) -> bool:
    turn.item(event.item_id).set_text(event.text)
    return True


def _on_annotation(turn: Turn, event: Any) -> bool:
    if event.annotation is not None:
        turn.item(event.item_id).annotations.append(as_data(event.annotation))
    return True


def _on_refusal_delta(turn: Turn, event: Any) -> bool:
    turn.item(event.item_id).refusal_pieces.append(event.delta)
    return True


def _on_refusal_done(turn: Turn, event: Any) -> bool:
    turn.item(event.item_id).refusal = event.refusal
    return True


def _on_summary_part(turn: Turn, event: Any) -> bool:
    item = turn.item(event.item_id, "reasoning")
    while len(item.summary_pieces) <= event.summary_index:
        item.summary_pieces.append(Pieces())
    return False


def _on_summary_delta(turn: Turn, event: Any) -> bool:
    item = turn.item(event.item_id, "reasoning")
    _on_summary_part(turn, event)
    item.summary_pieces[event.summary_index].append(event.delta)
    return True


def _on_summary_done(turn: Turn, event: Any) -> bool:
    item = turn.item(event.item_id, "reasoning")
    _on_summary_part(turn, event)
    item.summary_pieces[event.summary_index].set(event.text)
    return True


def _on_partial_image(turn: Turn, event: Any) -> bool:
    item = turn.item(event.item_id, "image_generation_call")
    item.data = {**item.data, "partial_image_b64": event.partial_image_b64}
    return True


def _appender(field_name: str, item_type: str) -> Any:
    """A handler adding an event's `delta` to one text field of the item's data."""

    def on_delta(turn: Turn, event: Any) -> bool:
        item = turn.item(event.item_id, item_type)
        pieces = item.streams.get(field_name)
        if pieces is None:
            pieces = item.streams[field_name] = Pieces(str(item.data.get(field_name) or ""))
        pieces.append(event.delta)
        # A new dict on change keeps readers' snapshots whole. Copying the whole field on every delta is
        # quadratic, so past LIVE_FIELD_CHARS it is copied once it grew by a quarter: linear, lagging a little.
        size, shown = pieces.size(), len(item.data.get(field_name) or "")
        if size <= LIVE_FIELD_CHARS or size - shown >= size // 4:
            item.data = {**item.data, field_name: pieces.compact()}  # `data` and the pieces share one string
        return True

    return on_delta


def _settler(field_name: str, item_type: str) -> Any:
    """A handler taking the whole field from its `*.done` event (`arguments`, `code`)."""

    def on_done(turn: Turn, event: Any) -> bool:
        item = turn.item(event.item_id, item_type)
        value = getattr(event, field_name, None)
        if isinstance(value, str):
            item.streams.pop(field_name, None)
            item.data = {**item.data, field_name: value}
        return True

    return on_done


def settle(turn: Turn) -> None:
    """Put every field still streaming into `data` whole (writer only; at the end of a turn)."""
    for item in turn.items:
        if item.streams:
            item.data = {**item.data, **{name: str(pieces) for name, pieces in item.streams.items()}}
            item.streams = {}


def _on_error(turn: Turn, event: Any) -> bool:
    turn.error = getattr(event, "message", None) or "The server reported an error."
    turn.status = "failed"
    return True


def _on_tool_progress(turn: Turn, event: Any) -> bool:
    # e.g. response.web_search_call.searching -> status "searching" on that item.
    item = turn.item(getattr(event, "item_id", None), event.type.split(".")[1])
    item.status = event.type.rsplit(".", 1)[1]
    return True


_HANDLERS = {
    "response.created": _on_started,
    "response.queued": _on_started,
    "response.in_progress": _on_started,
    "response.completed": _on_finished,
    "response.incomplete": _on_finished,
    "response.failed": _on_finished,
    "response.output_item.added": _on_item_added,
    "response.output_item.done": _on_item_done,
    "response.output_text.delta": _on_text_delta,
    "response.output_text.done": _on_text_done,
    "response.output_text.annotation.added": _on_annotation,
    "response.refusal.delta": _on_refusal_delta,
    "response.refusal.done": _on_refusal_done,
    "response.reasoning_summary_part.added": _on_summary_part,
    "response.reasoning_summary_text.delta": _on_summary_delta,
    "response.reasoning_summary_text.done": _on_summary_done,
    "error": _on_error,
    "response.image_generation_call.partial_image": _on_partial_image,
    "response.code_interpreter_call_code.delta": _appender("code", "code_interpreter_call"),
    "response.function_call_arguments.delta": _appender("arguments", "function_call"),
    "response.mcp_call_arguments.delta": _appender("arguments", "mcp_call"),
    "response.code_interpreter_call_code.done": _settler("code", "code_interpreter_call"),
    "response.function_call_arguments.done": _settler("arguments", "function_call"),
    "response.mcp_call_arguments.done": _settler("arguments", "mcp_call"),
}
for _tool in ("web_search_call", "file_search_call", "code_interpreter_call", "image_generation_call", "mcp_call"):
    for _state in ("in_progress", "searching", "interpreting", "generating", "completed", "failed"):
        _HANDLERS[f"response.{_tool}.{_state}"] = _on_tool_progress
