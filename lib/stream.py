"""PURE: Responses stream events -> Turn. No I/O, no Streamlit."""

from __future__ import annotations

from typing import Any

from lib.items import LIVE_FIELD_CHARS, Item, Pieces
from lib.turn import ENDED_RESPONSE_STATUSES, Round, Turn, TurnStatus, Usage

# The turn's types, from where most callers have always imported them.
__all__ = [
    "ENDED_RESPONSE_STATUSES",
    "Round",
    "Turn",
    "TurnStatus",
    "Usage",
    "add_output_item",
    "apply",
    "as_data",
    "finish_response",
    "settle",
]


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
    turn.service_tier = getattr(response, "service_tier", None) or turn.service_tier
    ended = Round(response_id=response.id, status=response.status or "completed", service_tier=turn.service_tier)
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
