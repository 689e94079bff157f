"""Benchmark of delta accumulation: 1,000 against 16,000 deltas of 1 KB into one Turn (issue 12, item 11).

Linear time means a ratio near 16 and a flat cost per delta. On a shared machine the 16k figures run
somewhat high: 16 MB strings no longer fit in the caches the 1 MB ones do. Before the fix, function-call
arguments were appended to a fresh string in `item.data` on every delta: 16,000 of them took about a minute.
The old way is measured here too (as a local copy of the old line, on 1,000 against 4,000 deltas: a ratio near
16 there means quadratic).

Run on demand (not part of the default run):
    uv run python -m tests.bench.bench_deltas
    uv run pytest -o addopts="" tests/bench/bench_deltas.py -s
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from typing import Any

from openai._models import construct_type
from openai.types.responses import ResponseStreamEvent

from lib.stream import Turn, apply

KB = "k" * 1023 + ","
RUNS = 5  # timed runs of each measurement; the fastest is reported
SIZES = (1_000, 16_000)

# name -> (delta event type, the output item it belongs to, extra event fields, how to read the result)
KINDS: dict[str, tuple[str, dict[str, Any], dict[str, Any], Callable[[Any], str]]] = {
    "function arguments": (
        "response.function_call_arguments.delta",
        {"type": "function_call", "id": "fc_1", "call_id": "c", "name": "f", "arguments": ""},
        {},
        lambda item: item.streamed("arguments"),
    ),
    "MCP arguments": (
        "response.mcp_call_arguments.delta",
        {"type": "mcp_call", "id": "mcp_1", "server_label": "s", "name": "f", "arguments": ""},
        {},
        lambda item: item.streamed("arguments"),
    ),
    "code interpreter code": (
        "response.code_interpreter_call_code.delta",
        {"type": "code_interpreter_call", "id": "ci_1", "container_id": "c", "code": ""},
        {},
        lambda item: item.streamed("code"),
    ),
    "text": (
        "response.output_text.delta",
        {"type": "message", "id": "msg_1", "role": "assistant", "status": "in_progress", "content": []},
        {"content_index": 0, "logprobs": []},
        lambda item: item.text,
    ),
    "refusal": (
        "response.refusal.delta",
        {"type": "message", "id": "msg_1", "role": "assistant", "status": "in_progress", "content": []},
        {"content_index": 0},
        lambda item: item.refusal,
    ),
    "reasoning summary": (
        "response.reasoning_summary_text.delta",
        {"type": "reasoning", "id": "rs_1", "summary": []},
        {"summary_index": 0},
        lambda item: item.summary[0],
    ),
}


def events(kind: str, count: int) -> list[Any]:
    """The events of one item with `count` 1 KB deltas, built as the SDK builds them (the class picked once)."""
    name, item, where, _ = KINDS[kind]
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
    head = [
        {"type": "response.created", "sequence_number": 0, "response": response},
        {"type": "response.output_item.added", "sequence_number": 1, "output_index": 0, "item": item},
    ]
    built = [construct_type(type_=ResponseStreamEvent, value=raw) for raw in head]
    first = construct_type(
        type_=ResponseStreamEvent,
        value={"type": name, "sequence_number": 2, "item_id": item["id"], "output_index": 0, "delta": KB, **where},
    )
    return built + [first] + [first.model_copy(update={"sequence_number": 3 + n}) for n in range(count - 1)]


def fold(stream: list[Any], reducer: Callable[[Turn, Any], Any] = apply, repeat: int = 1) -> tuple[float, Turn]:
    """CPU seconds to fold the events into a new Turn (per fold, best of RUNS of `repeat` folds), and a Turn.

    The collector is off while timing: its passes over a growing heap are not the reducer's cost.
    """
    times, turn = [], Turn(prompt="bench")
    gc.collect()
    gc.disable()
    try:
        for _ in range(RUNS):
            started = time.process_time()
            for _ in range(repeat):
                turn = Turn(prompt="bench")
                for event in stream:
                    reducer(turn, event)
            times.append((time.process_time() - started) / repeat)
    finally:
        gc.enable()
    return min(times), turn


def old_apply(turn: Turn, event: Any) -> None:
    """The reducer as it was for argument deltas (a copy of the old line), for comparison."""
    if event.type == "response.function_call_arguments.delta":
        item = turn.item(event.item_id, "function_call")
        item.data = {**item.data, "arguments": item.data.get("arguments", "") + event.delta}
    else:
        apply(turn, event)


def main() -> None:
    """Print the figures and ratios."""
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    fold(events("text", 1_000))  # warm up: the first kind timed should not pay for it
    print(
        f"{'kind':24} {'1k deltas':>10} {'16k deltas':>11} {'ratio':>6} {'us/delta 1k':>12} {'16k':>6}"
        f"   (CPU s, best of {RUNS}; linear: ratio 16, cost per delta flat)"
    )
    for kind in KINDS:
        figures = []
        for count in SIZES:
            stream = events(kind, count)
            seconds, turn = fold(stream, repeat=SIZES[-1] // count)  # the same number of deltas timed
            assert KINDS[kind][3](turn.items[0]) == KB * count, f"{kind}: the text does not add up"
            figures.append(seconds)
        per_delta = [seconds / count * 1e6 for seconds, count in zip(figures, SIZES, strict=True)]
        print(
            f"{kind:24} {figures[0]:10.4f} {figures[1]:11.4f} {figures[1] / figures[0]:6.1f} "
            f"{per_delta[0]:12.2f} {per_delta[1]:6.2f}"
        )
    small, large = (fold(events("function arguments", n), old_apply, repeat=4_000 // n)[0] for n in (1_000, 4_000))
    print(
        f"{'before (arguments)':24} {small:10.4f} {large:11.4f} {large / small:6.1f} "
        f"{small / 1e3 * 1e6:12.2f} {large / 4e3 * 1e6:6.2f}   (1k vs 4k deltas: 4 = linear, 16 = quadratic)"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def test_bench_deltas() -> None:
    """The benchmark through pytest (`-o addopts=""`, `-s` to see the figures)."""
    main()


if __name__ == "__main__":
    main()
