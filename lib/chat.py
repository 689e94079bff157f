"""One chat turn: build the request, stream it into a Turn, run function calls, never lose anything."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import openai
from openai import OpenAI

from lib.conversations import Thread, start_conversation
from lib.errors import explain
from lib.pricing import cost_usd
from lib.registry import registry, run_calls
from lib.settings import Settings, is_reasoning_model
from lib.stream import Item, Turn, apply
from lib.tools import includes_for, tools_for

INTERRUPTED = "The connection dropped before the answer finished; what arrived is kept."
MAX_ROUNDS = 10  # function-call rounds in one turn before we stop a runaway loop
RUNAWAY = f"Stopped after {MAX_ROUNDS} rounds of function calls without a final answer."


def text_format(schema_text: str) -> dict[str, Any] | None:
    """The `text.format` for a structured-output schema, or None for plain text."""
    if not schema_text.strip():
        return None
    schema = json.loads(schema_text)
    name = str(schema.get("title") or "answer").replace(" ", "_")[:64]
    return {"type": "json_schema", "name": name, "schema": schema, "strict": True}


def build_request(settings: Settings, thread: Thread, input_items: list[dict[str, Any]]) -> dict[str, Any]:
    """The responses.create arguments for one round: only the new input, plus the thread reference."""
    request: dict[str, Any] = {"model": settings.model, "input": input_items, "store": settings.store, "stream": True}
    if settings.instructions:
        request["instructions"] = settings.instructions
    if is_reasoning_model(settings.model):
        reasoning = {"effort": settings.reasoning_effort, "summary": settings.tools.reasoning_summary}
        if reasoning := {k: v for k, v in reasoning.items() if v}:
            request["reasoning"] = reasoning
    elif settings.temperature is not None:
        request["temperature"] = settings.temperature
    if tools := tools_for(settings.tools):
        request["tools"] = tools
    if include := includes_for(settings.tools):
        request["include"] = include
    if fmt := text_format(settings.tools.json_schema):
        request["text"] = {"format": fmt}
    if thread.conversation_id:
        request["conversation"] = thread.conversation_id
    elif thread.last_response_id:
        request["previous_response_id"] = thread.last_response_id
    return request


def user_message(prompt: str, parts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The input item of a prompt, with attachments as extra content parts."""
    if not parts:
        return {"role": "user", "content": prompt}
    return {"role": "user", "content": [{"type": "input_text", "text": prompt}, *parts]}


def pending_calls(turn: Turn, response_id: str | None) -> list[Item]:
    """Function calls of the latest response that have no output yet."""
    return [i for i in turn.items if i.type == "function_call" and "output" not in i.data
            and i.response_id == response_id]


def pending_approvals(turn: Turn) -> list[Item]:
    """MCP approval requests the user has not answered yet."""
    answered = {i.data.get("approval_request_id") for i in turn.items if i.type == "mcp_approval_response"}
    return [i for i in turn.items if i.type == "mcp_approval_request" and i.id not in answered]


def run_turn(
    client: OpenAI, settings: Settings, thread: Thread, prompt: str, parts: list[dict[str, Any]] | None = None
) -> Iterator[Turn]:
    """Yield a new turn as it grows; it always ends final or with `error` set, never raising."""
    turn = Turn(prompt=prompt, model=settings.model, structured=bool(settings.tools.json_schema.strip()))
    yield from continue_turn(client, settings, thread, turn, [user_message(prompt, parts)])


def answer_approvals(
    client: OpenAI, settings: Settings, thread: Thread, turn: Turn, decisions: dict[str, bool]
) -> Iterator[Turn]:
    """Send the user's MCP approval decisions and continue the same turn."""
    responses = []
    for request_id, approve in decisions.items():
        response = {"type": "mcp_approval_response", "approval_request_id": request_id, "approve": approve}
        turn.items.append(Item(id=f"approval_{request_id}", type="mcp_approval_response", status="completed",
                               data=response))
        responses.append(response)
    yield from continue_turn(client, settings, thread, turn, responses)


def continue_turn(
    client: OpenAI, settings: Settings, thread: Thread, turn: Turn, input_items: list[dict[str, Any]]
) -> Iterator[Turn]:
    """Stream rounds into `turn` until the model answers, asks for approval, fails or loops too long."""
    started = time.monotonic()
    yield turn
    try:
        if not thread.conversation_id and not thread.chained and not thread.last_response_id:
            thread.conversation_id = start_conversation(client, turn.prompt)
            thread.chained = thread.conversation_id is None
        for _ in range(MAX_ROUNDS):
            yield from _stream_round(client, build_request(settings, thread, input_items), turn, started)
            if turn.status in {"completed", "incomplete"}:
                thread.last_response_id = turn.response_id
            if turn.status != "completed":
                break
            calls = pending_calls(turn, turn.response_id)
            if not calls:
                break
            input_items = _run_functions(calls, settings)
            yield turn
        else:
            turn.status, turn.error = "incomplete", RUNAWAY
    except (openai.APIError, httpx2.HTTPError) as error:
        turn.status = "interrupted" if turn.text else "failed"
        turn.error = explain(error, model=settings.model, endpoint=settings.endpoint)
    _finish(turn, started)
    yield turn


def _stream_round(client: OpenAI, request: dict[str, Any], turn: Turn, started: float) -> Iterator[Turn]:
    """One responses.create stream folded into the turn."""
    stream = client.with_options(max_retries=0).responses.create(**request)
    turn.status = "in_progress"
    with stream:
        for event in stream:
            if apply(turn, event):
                if turn.ttft_ms is None and turn.text:
                    turn.ttft_ms = int((time.monotonic() - started) * 1000)
                yield turn
    if not turn.finished and turn.status != "failed":
        turn.status, turn.error = "interrupted", INTERRUPTED


def _run_functions(calls: list[Item], settings: Settings) -> list[dict[str, Any]]:
    """Run the calls concurrently (only enabled functions); their outputs are the next round's input."""
    enabled = {name: fn for name, fn in registry().items() if name in settings.tools.functions}
    jobs = [(c.data.get("call_id", c.id), c.data.get("name", ""), c.data.get("arguments", "{}")) for c in calls]
    outputs = []
    for item, (call_id, result) in zip(calls, run_calls(jobs, tools=enabled), strict=True):
        item.data = {**item.data, "output": result.output, "error": result.error, "value": result.value}
        item.status = "failed" if result.error else "completed"
        outputs.append({"type": "function_call_output", "call_id": call_id, "output": result.output})
    return outputs


def _finish(turn: Turn, started: float) -> None:
    turn.latency_ms = int((time.monotonic() - started) * 1000)
    if turn.usage is not None:
        turn.cost_usd = cost_usd(turn.model, turn.usage.as_api())
