"""One chat turn: build each round's request, run its rounds and function calls (the wire: lib/turn_wire.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from openai import OpenAI

from lib import turn_log
from lib import turn_wire as wire
from lib.compaction import context_management
from lib.conversations import Thread, start_conversation
from lib.limits import STOPPED, TurnControl  # noqa: F401 - STOPPED, TurnControl: chat's API
from lib.registry import registry, run_calls
from lib.request_options import visitor_cache_key, with_options
from lib.settings import Settings, is_reasoning_model, runs_long
from lib.stream import Item, Turn
from lib.tools import includes_for, tools_for

MAX_ROUNDS = 10  # function-call rounds in one turn before we stop a runaway loop
RUNAWAY = f"Stopped calling functions after {MAX_ROUNDS} rounds: the model was asked to answer with what it has."


def text_format(schema_text: str) -> dict[str, Any] | None:
    """The `text.format` for a structured-output schema, or None for plain text."""
    if not schema_text.strip():
        return None
    schema = json.loads(schema_text)
    # The API takes only [A-Za-z0-9_-]{1,64} as the format's name; a schema title may hold anything.
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", str(schema.get("title") or "")).strip("_")[:64] or "answer"
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
    request = with_options(request, settings.options, cap=settings.max_output_tokens)
    if settings.store and (settings.background or runs_long(settings.model, settings.reasoning_effort)):
        request["background"] = True
    if thread.conversation_id:
        request["conversation"] = thread.conversation_id
    elif thread.last_response_id:
        request["previous_response_id"] = thread.last_response_id
    if management := context_management(settings):  # Setup's automatic compaction threshold
        request["context_management"] = management
    if settings.safety_identifier:  # shared mode: abuse is traced to this visitor, not to the whole key
        request["safety_identifier"] = settings.safety_identifier
        if key := request.get("prompt_cache_key"):
            request["prompt_cache_key"] = visitor_cache_key(settings.safety_identifier, key)
    return request


def user_message(prompt: str, parts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The input item of a prompt, with attachments as extra content parts."""
    if not parts:
        return {"role": "user", "content": prompt}
    return {"role": "user", "content": [{"type": "input_text", "text": prompt}, *parts]}


def pending_calls(turn: Turn, response_id: str | None) -> list[Item]:
    """Function calls of the latest response that have no output yet."""
    return [
        i for i in turn.items if i.type == "function_call" and "output" not in i.data and i.response_id == response_id
    ]


def pending_approvals(turn: Turn) -> list[Item]:
    """MCP approval requests the user has not answered yet."""
    answered = {i.data.get("approval_request_id") for i in turn.items if i.type == "mcp_approval_response"}
    return [i for i in turn.items if i.type == "mcp_approval_request" and i.id not in answered]


def run_turn(
    client: OpenAI,
    settings: Settings,
    thread: Thread,
    prompt: str,
    parts: list[dict[str, Any]] | None = None,
    control: TurnControl | None = None,
) -> Iterator[Turn]:
    """Yield a new turn as it grows; it always ends final or with `error` set, never raising."""
    turn = Turn(prompt=prompt, model=settings.model, structured=bool(settings.tools.json_schema.strip()))
    yield from continue_turn(client, settings, thread, turn, [*thread.unsent, user_message(prompt, parts)], control)


def answer_approvals(
    client: OpenAI,
    settings: Settings,
    thread: Thread,
    turn: Turn,
    decisions: dict[str, bool],
    control: TurnControl | None = None,
) -> Iterator[Turn]:
    """Send the user's MCP approval decisions and continue the same turn."""
    responses = []
    for request_id, approve in decisions.items():
        response = {"type": "mcp_approval_response", "approval_request_id": request_id, "approve": approve}
        turn.items.append(
            Item(id=f"approval_{request_id}", type="mcp_approval_response", status="completed", data=response)
        )
        responses.append(response)
    yield from continue_turn(client, settings, thread, turn, responses, control)


def resume_turn(
    client: OpenAI, settings: Settings, thread: Thread, turn: Turn, control: TurnControl | None = None
) -> Iterator[Turn]:
    """Pick up a background response from after its last seen event (after a reload or a drop)."""
    control = control or TurnControl()
    turn.background = True

    turn_log.emit("resume", turn, control.owner_hash, reason="reopened")

    def rounds(started: float) -> Iterator[Turn]:
        control.running_as(background=True)
        yield from wire.follow(client, turn, None, control, started=started)
        wire.after_round(thread, turn)

    yield from wire.guarded(client, settings, turn, rounds, control)


def continue_turn(
    client: OpenAI,
    settings: Settings,
    thread: Thread,
    turn: Turn,
    input_items: list[dict[str, Any]],
    control: TurnControl | None = None,
) -> Iterator[Turn]:
    """Stream rounds into `turn` until the model answers, asks for approval, fails, stops or loops too long."""
    control = control or TurnControl()

    def rounds(started: float) -> Iterator[Turn]:
        nonlocal input_items
        if not thread.conversation_id and not thread.chained and not thread.last_response_id:
            thread.conversation_id = start_conversation(client, turn.prompt)
            thread.chained = thread.conversation_id is None
        for round_number in range(MAX_ROUNDS + 1):
            request = build_request(settings, thread, input_items)
            if round_number == MAX_ROUNDS:
                # The last outputs still go back, or the thread keeps calls without outputs and the API
                # refuses every later prompt; no tools this time, so the model has to answer.
                request["tool_choice"] = "none"
                turn.error = RUNAWAY
            turn.background = bool(request.get("background"))
            control.running_as(turn.background)
            turn.requests.append(request)
            stream = yield from wire.open_stream(client, request, turn, control)
            yield from wire.follow(client, turn, stream, control, started=started)
            thread.unsent = []  # the server has this round's input now
            wire.after_round(thread, turn)
            calls = pending_calls(turn, turn.response_id) if turn.status == "completed" else []
            if not calls:
                return
            if round_number == MAX_ROUNDS:
                turn.status = "incomplete"
                return
            input_items = thread.unsent = _run_functions(calls, settings)
            yield turn

    yield from wire.guarded(client, settings, turn, rounds, control)


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
