"""The reducer over scripted event sequences, parsed with the SDK's own event union."""

from __future__ import annotations

from typing import Any

from openai._models import construct_type
from openai.types.responses import ResponseStreamEvent

from lib.stream import Turn, apply


class EVENT:
    """Build events exactly as the SDK's stream iterator does (lenient construction over the union)."""

    @staticmethod
    def validate_python(raw: dict[str, Any]) -> Any:
        return construct_type(type_=ResponseStreamEvent, value=raw)


def response(status: str, output: list[dict[str, Any]] | None = None, usage: dict | None = None) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "model": "gpt-5-mini",
        "status": status,
        "output": output or [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": usage,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
    }


def message(text: str, status: str = "completed") -> dict[str, Any]:
    content = [{"type": "output_text", "text": text, "annotations": []}] if text else []
    return {"type": "message", "id": "msg_1", "role": "assistant", "status": status, "content": content}


def text_events(deltas: list[str]) -> list[dict[str, Any]]:
    text = "".join(deltas)
    usage = {
        "input_tokens": 7,
        "input_tokens_details": {"cached_tokens": 2},
        "output_tokens": 5,
        "output_tokens_details": {"reasoning_tokens": 1},
        "total_tokens": 12,
    }
    raw = [
        {"type": "response.created", "response": response("in_progress")},
        {"type": "response.in_progress", "response": response("in_progress")},
        {"type": "response.output_item.added", "output_index": 0, "item": message("", "in_progress")},
        *[
            {
                "type": "response.output_text.delta",
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 0,
                "delta": d,
                "logprobs": [],
            }
            for d in deltas
        ],
        {
            "type": "response.output_text.done",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "text": text,
            "logprobs": [],
        },
        {"type": "response.output_item.done", "output_index": 0, "item": message(text)},
        {"type": "response.completed", "response": response("completed", [message(text)], usage)},
    ]
    return [dict(event, sequence_number=n) for n, event in enumerate(raw)]


def fold(raw_events: list[dict[str, Any]]) -> Turn:
    turn = Turn(prompt="hi")
    for raw in raw_events:
        apply(turn, EVENT.validate_python(raw))
    return turn


def test_text_answer_and_usage() -> None:
    turn = fold(text_events(["Hel", "lo ", "world"]))
    assert turn.text == "Hello world"
    assert turn.status == "completed" and turn.finished
    assert turn.response_ids == ["resp_1"]
    assert [i.type for i in turn.items] == ["message"]
    assert (turn.usage.input_tokens, turn.usage.cached_tokens) == (7, 2)
    assert (turn.usage.output_tokens, turn.usage.reasoning_tokens, turn.usage.total_tokens) == (5, 1, 12)


def test_text_grows_delta_by_delta() -> None:
    turn = Turn(prompt="hi")
    seen = []
    for raw in text_events(["a", "b", "c"])[:6]:
        apply(turn, EVENT.validate_python(raw))
        seen.append(turn.text)
    assert seen == ["", "", "", "a", "ab", "abc"]
    assert not turn.finished


def test_duplicate_and_out_of_order_sequence_numbers_are_dropped() -> None:
    events = text_events(["a", "b", "c"])
    replayed = events[:5] + events[3:5] + events[5:]  # deltas "a","b" arrive twice
    assert fold(replayed).text == "abc"
    turn = Turn(prompt="hi")
    for raw in events[:5]:
        apply(turn, EVENT.validate_python(raw))
    assert apply(turn, EVENT.validate_python(events[3])) is False
    assert turn.text == "ab"


def test_unknown_events_are_ignored() -> None:
    events = text_events(["x"])
    ping = {"type": "response.ping", "sequence_number": 2}
    # The SDK builds an unknown type as the first member of its union; it must not break the fold.
    parsed = [EVENT.validate_python(e) for e in events[:2]]
    unknown = EVENT.validate_python(ping)
    assert unknown.type == "response.ping"
    turn = Turn(prompt="hi")
    for event in parsed:
        apply(turn, event)
    assert apply(turn, unknown) is False
    for raw in events[2:]:
        apply(turn, EVENT.validate_python(dict(raw, sequence_number=raw["sequence_number"] + 1)))
    assert turn.text == "x" and turn.status == "completed"


def test_failed_and_incomplete_responses_carry_their_reason() -> None:
    failed = response("failed")
    failed["error"] = {"code": "server_error", "message": "The model crashed."}
    turn = fold([{"type": "response.failed", "response": failed, "sequence_number": 0}])
    assert (turn.status, turn.error) == ("failed", "The model crashed.")
    incomplete = response("incomplete", [message("partial")])
    incomplete["incomplete_details"] = {"reason": "max_output_tokens"}
    turn = fold([{"type": "response.incomplete", "response": incomplete, "sequence_number": 0}])
    assert turn.status == "incomplete" and turn.text == "partial"
    assert turn.error == "The answer is incomplete: max_output_tokens."


def test_error_event_fails_the_turn() -> None:
    events = text_events(["a"])[:4] + [
        {"type": "error", "message": "overloaded", "code": None, "param": None, "sequence_number": 4}
    ]
    turn = fold(events)
    assert (turn.status, turn.error, turn.text) == ("failed", "overloaded", "a")


def test_reasoning_summary_and_refusal() -> None:
    raw = [
        {"type": "response.created", "response": response("in_progress")},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"type": "reasoning", "id": "rs_1", "summary": []},
        },
        {
            "type": "response.reasoning_summary_part.added",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": ""},
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 0,
            "delta": "Think",
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 0,
            "delta": "ing",
        },
        {"type": "response.refusal.delta", "item_id": "msg_1", "output_index": 1, "content_index": 0, "delta": "No."},
    ]
    turn = fold([dict(e, sequence_number=n) for n, e in enumerate(raw)])
    assert [(i.type, i.id) for i in turn.items] == [("reasoning", "rs_1"), ("message", "msg_1")]
    assert turn.items[0].summary == ["Thinking"]
    assert turn.items[1].refusal == "No."
