"""Every kind of delta accumulates in linear time, and readers on another thread never lose one (issues 12, 13)."""

from __future__ import annotations

import sys
import threading
from typing import Any

import pytest
from openai._models import construct_type
from openai.types.responses import ResponseStreamEvent

from lib.items import Pieces
from lib.stream import Item, Turn, apply, settle

KB = "k" * 1023 + ","


def event(raw: dict[str, Any]) -> Any:
    """An event as the SDK's stream iterator builds it."""
    return construct_type(type_=ResponseStreamEvent, value=raw)


def started(item: dict[str, Any]) -> list[Any]:
    response = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "model": "gpt-5-mini",
        "status": "in_progress",
        "output": [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
    }
    return [
        event({"type": "response.created", "sequence_number": 0, "response": response}),
        event({"type": "response.output_item.added", "sequence_number": 1, "output_index": 0, "item": item}),
    ]


def deltas(kind: str, item_id: str, pieces: list[str], **where: Any) -> list[Any]:
    """Delta events; the SDK picks the class from the union once (that search is slow), then builds the rest."""
    raw = [
        {"type": kind, "sequence_number": 2 + n, "item_id": item_id, "output_index": 0, "delta": piece, **where}
        for n, piece in enumerate(pieces)
    ]
    first = event(raw[0])
    return [first, *(first.model_copy(update=fields) for fields in raw[1:])]  # flat fields: nothing to convert


FUNCTION_CALL = {
    "type": "function_call",
    "id": "fc_1",
    "call_id": "call_1",
    "name": "f",
    "arguments": "",
    "status": "in_progress",
}
MESSAGE = {"type": "message", "id": "msg_1", "role": "assistant", "status": "in_progress", "content": []}


def test_pieces_join_only_as_the_text_doubles() -> None:
    pieces, joined_chars, joins = Pieces(), 0, 0
    for _ in range(16_000):
        if pieces.append(KB):
            joins += 1
            joined_chars += pieces.size()
    assert str(pieces) == KB * 16_000
    assert joins <= 16  # log2(16k / 64) + 1: each join handles at least as much as all joins before it
    assert joined_chars <= 2 * pieces.size()  # so every character is copied a bounded number of times


# (delta event, output item, extra event fields, how the accumulated text is read)
KINDS = {
    "text": ("response.output_text.delta", MESSAGE, {"content_index": 0, "logprobs": []}, lambda i: i.text),
    "refusal": ("response.refusal.delta", MESSAGE, {"content_index": 0}, lambda i: i.refusal),
    "summary": (
        "response.reasoning_summary_text.delta",
        {"type": "reasoning", "id": "rs_1", "summary": []},
        {"summary_index": 0},
        lambda i: i.summary[0],
    ),
    "arguments": ("response.function_call_arguments.delta", FUNCTION_CALL, {}, lambda i: i.streamed("arguments")),
    "mcp arguments": (
        "response.mcp_call_arguments.delta",
        {"type": "mcp_call", "id": "mcp_1", "server_label": "s", "name": "f", "arguments": ""},
        {},
        lambda i: i.streamed("arguments"),
    ),
    "code": (
        "response.code_interpreter_call_code.delta",
        {"type": "code_interpreter_call", "id": "ci_1", "container_id": "c", "code": "", "status": "in_progress"},
        {},
        lambda i: i.streamed("code"),
    ),
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_delta_adds_up_to_the_whole(kind: str) -> None:
    name, item, where, read = KINDS[kind]
    turn = Turn(prompt="p")
    pieces = [f"{n:05d}" + KB for n in range(300)]  # 300 KB: far past the size data fields are copied at every delta
    for e in started(item) + deltas(name, item["id"], pieces, **where):
        apply(turn, e)
    assert read(turn.items[0]) == "".join(pieces)
    settle(turn)  # the turn ends: `data` holds every field whole
    assert read(turn.items[0]) == "".join(pieces)
    if kind in {"arguments", "mcp arguments", "code"}:
        assert turn.items[0].data[kind.split()[-1]] == "".join(pieces)


@pytest.mark.parametrize(
    "field, kind, item",
    [
        ("arguments", "response.function_call_arguments.delta", FUNCTION_CALL),
        (
            "code",
            "response.code_interpreter_call_code.delta",
            {"type": "code_interpreter_call", "id": "ci_1", "container_id": "c", "code": "", "status": "in_progress"},
        ),
    ],
)
def test_a_streamed_data_field_is_copied_a_bounded_number_of_times(field: str, kind: str, item: dict) -> None:
    """Each new `data` dict holds a fresh string: count the characters those copies cost (2 MB of deltas)."""
    turn = Turn(prompt="p")
    for e in started(item):
        apply(turn, e)
    live = turn.items[0]
    seen, copied, total = live.data, 0, ""
    for number, e in enumerate(deltas(kind, item["id"], [KB] * 2000)):
        apply(turn, e)
        total += e.delta
        if live.data is not seen:
            seen, copied = live.data, copied + len(live.data[field])
        if number % 250 == 0:  # readers see it all at once, data included while it is small
            assert live.streamed(field) == total
    assert live.streamed(field) == total and total.startswith(live.data[field])
    assert len(live.data[field]) >= len(total) * 3 // 4  # it lags by under a quarter, and only when this big
    assert copied <= 6 * len(total)  # appending to the string in `data` each time copies ~1000x the total


def test_the_done_events_are_authoritative_and_end_the_stream() -> None:
    turn = Turn(prompt="p")
    for e in started(FUNCTION_CALL) + deltas("response.function_call_arguments.delta", "fc_1", [KB] * 100):
        apply(turn, e)
    apply(
        turn,
        event(
            {
                "type": "response.function_call_arguments.done",
                "sequence_number": 400,
                "output_index": 0,
                "item_id": "fc_1",
                "arguments": KB * 100,
            }
        ),
    )
    assert turn.items[0].data["arguments"] == KB * 100 and turn.items[0].streams == {}
    final = {**FUNCTION_CALL, "arguments": '{"a": 1}', "status": "completed"}
    apply(turn, event({"type": "response.output_item.done", "sequence_number": 500, "output_index": 0, "item": final}))
    (call,) = turn.items
    assert call.data["arguments"] == call.streamed("arguments") == '{"a": 1}' and call.streams == {}


READERS = {
    "text": (MESSAGE, "response.output_text.delta", {"content_index": 0, "logprobs": []}, lambda i: i.text),
    "arguments": (FUNCTION_CALL, "response.function_call_arguments.delta", {}, lambda i: i.streamed("arguments")),
}


@pytest.mark.parametrize("kind", READERS)
def test_a_reader_on_another_thread_never_loses_a_delta(kind: str) -> None:
    """Issue 13: `Item.text` compacted the chunks while the worker appended, and a delta could vanish."""
    item, name, where, read = READERS[kind]
    pieces = [f"{n};" for n in range(20_000)]
    events = deltas(name, item["id"], pieces, **where)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(3):
            turn = Turn(prompt="race")
            for e in started(item):
                apply(turn, e)
            done = threading.Event()

            def reader(live: Item = turn.items[0], done: threading.Event = done) -> None:
                while not done.is_set():
                    read(live)

            thread = threading.Thread(target=reader)
            thread.start()
            for e in events:
                apply(turn, e)
            done.set()
            thread.join()
            live = turn.items[0]
            assert (live.text if kind == "text" else live.streamed("arguments")) == "".join(pieces)
    finally:
        sys.setswitchinterval(interval)
