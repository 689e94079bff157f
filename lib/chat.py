"""One chat turn: build the request, stream it into a Turn, run function calls, never lose anything."""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

import httpx2
import openai
from openai import OpenAI

from lib import turn_log
from lib.conversations import Thread, start_conversation
from lib.errors import explain, retry_after_seconds, stream_error
from lib.limits import STOPPED, USER_STOP, Ending, TurnControl  # noqa: F401 - STOPPED, TurnControl: chat's API
from lib.pricing import cost_usd
from lib.registry import registry, run_calls
from lib.settings import Settings, is_reasoning_model, runs_long
from lib.stream import Item, Turn, apply, finish_response, settle
from lib.tools import includes_for, tools_for

INTERRUPTED = "The connection dropped before the answer finished; what arrived is kept."
MAX_ROUNDS = 10  # function-call rounds in one turn before we stop a runaway loop
RUNAWAY = f"Stopped calling functions after {MAX_ROUNDS} rounds: the model was asked to answer with what it has."
RETRIES = 3  # for 429, 5xx and connection failures before any answer arrived
MAX_RETRY_WAIT = 30.0  # a longer Retry-After is reported, not waited for
RESUMES = 5  # times a dropped background stream is picked up again
POLL_SECONDS = 1.0


class Stopped(Exception):
    """The turn was stopped: Stop pressed, a limit passed, or its page gone (`TurnControl.ending` says which)."""


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
    if settings.verbosity:  # sent only when chosen: not every model or provider takes it
        request.setdefault("text", {})["verbosity"] = settings.verbosity
    if settings.service_tier:
        request["service_tier"] = settings.service_tier
    if settings.max_output_tokens:
        request["max_output_tokens"] = settings.max_output_tokens
    if settings.store and (settings.background or runs_long(settings.model, settings.reasoning_effort)):
        request["background"] = True
    if thread.conversation_id:
        request["conversation"] = thread.conversation_id
    elif thread.last_response_id:
        request["previous_response_id"] = thread.last_response_id
    if settings.safety_identifier:  # shared mode: abuse is traced to this visitor, not to the whole key
        request["safety_identifier"] = settings.safety_identifier
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
    client: OpenAI, settings: Settings, thread: Thread, prompt: str,
    parts: list[dict[str, Any]] | None = None, control: TurnControl | None = None,
) -> Iterator[Turn]:
    """Yield a new turn as it grows; it always ends final or with `error` set, never raising."""
    turn = Turn(prompt=prompt, model=settings.model, structured=bool(settings.tools.json_schema.strip()))
    yield from continue_turn(client, settings, thread, turn, [*thread.unsent, user_message(prompt, parts)], control)


def answer_approvals(
    client: OpenAI, settings: Settings, thread: Thread, turn: Turn, decisions: dict[str, bool],
    control: TurnControl | None = None,
) -> Iterator[Turn]:
    """Send the user's MCP approval decisions and continue the same turn."""
    responses = []
    for request_id, approve in decisions.items():
        response = {"type": "mcp_approval_response", "approval_request_id": request_id, "approve": approve}
        turn.items.append(Item(id=f"approval_{request_id}", type="mcp_approval_response", status="completed",
                               data=response))
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
        yield from _follow(client, turn, None, control, started=started)
        _after_round(thread, turn)

    yield from _guarded(client, settings, turn, rounds, control)


def continue_turn(
    client: OpenAI, settings: Settings, thread: Thread, turn: Turn, input_items: list[dict[str, Any]],
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
            stream = yield from _open(client, request, turn, control)
            yield from _follow(client, turn, stream, control, started=started)
            thread.unsent = []  # the server has this round's input now
            _after_round(thread, turn)
            calls = pending_calls(turn, turn.response_id) if turn.status == "completed" else []
            if not calls:
                return
            if round_number == MAX_ROUNDS:
                turn.status = "incomplete"
                return
            input_items = thread.unsent = _run_functions(calls, settings)
            yield turn

    yield from _guarded(client, settings, turn, rounds, control)


def _guarded(
    client: OpenAI, settings: Settings, turn: Turn, rounds: Callable[[float], Iterator[Turn]], control: TurnControl
) -> Iterator[Turn]:
    """Run the rounds; Stop, limits, API and network failures end the turn with what arrived, never raising."""
    started = time.monotonic()
    control.start()
    yield turn
    try:
        yield from rounds(started)
    except Stopped:
        ending = control.ending or USER_STOP
        _stop(client, turn, ending)
        turn_log.emit("cancel", turn, control.owner_hash, stopped_by="user" if ending is USER_STOP else "app",
                      cancel_on_server=bool(ending.cancel and turn.background))
    except (openai.APIError, httpx2.HTTPError) as error:
        _fail(turn, error, settings)
        turn_log.emit("error", turn, control.owner_hash, **_error_fields(error))
    _finish(turn, started)
    turn_log.emit("turn_end", turn, control.owner_hash, retries=turn.retries)
    yield turn


def _error_fields(error: Exception) -> dict[str, Any]:
    """What kind of failure, never its message (a foreign server's text may carry anything)."""
    return {"error": type(error).__name__, "http_status": getattr(error, "status_code", None)}


def _retryable(error: Exception) -> bool:
    return isinstance(error, (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError))


def _open(client: OpenAI, request: dict[str, Any], turn: Turn, control: TurnControl) -> Generator[Turn, None, Any]:
    """responses.create with visible, bounded retries that honour Retry-After."""
    for attempt in range(RETRIES + 1):
        if control.stopped:
            raise Stopped
        try:
            return client.with_options(max_retries=0, timeout=_timeout(client, control)).responses.create(**request)
        except (openai.APIError, httpx2.HTTPError) as error:
            wait = retry_after_seconds(error) if isinstance(error, openai.APIStatusError) else None
            if not _retryable(error) or attempt == RETRIES or (wait or 0) > MAX_RETRY_WAIT:
                raise
            if wait is None:
                wait = min(8.0, 0.5 * 2**attempt) * random.uniform(0.8, 1.2)
            turn.retries += 1
            turn_log.emit("retry", turn, control.owner_hash, attempt=attempt + 1, wait_s=round(wait, 1),
                          **_error_fields(error))
            turn.notice = f"{explain(error).split(':')[0]}. Retrying in {wait:.0f} s… (retry {attempt + 1} of {RETRIES})"
            yield turn
            if control.wait(wait):
                raise Stopped from None
            turn.notice = None
    raise AssertionError("unreachable")


def _timeout(client: OpenAI, control: TurnControl) -> httpx2.Timeout:
    """The client's connect timeout, and reads bounded by what is left of the turn (or its idle limit)."""
    configured = client.timeout
    connect = configured.connect if isinstance(configured, httpx2.Timeout) else None
    return httpx2.Timeout(control.request_timeout(), connect=connect if connect is not None else 10.0)


def _follow(client: OpenAI, turn: Turn, stream: Any, control: TurnControl, *, started: float) -> Iterator[Turn]:
    """Fold a stream into the turn; a dropped background stream is resumed, or polled if it cannot be."""
    turn.status = "in_progress" if turn.status == "pending" else turn.status
    for resume in range(RESUMES + 1):
        if stream is None:
            stream = client.responses.retrieve(turn.response_id, stream=True, starting_after=turn.last_sequence,
                                               timeout=_timeout(client, control))
        control.attach(stream)
        try:
            with stream:
                for event in stream:
                    if control.stopped:
                        raise Stopped
                    changed = apply(turn, event)
                    if control.received(event):  # a limit passed, or the page is gone: keep this event, end
                        raise Stopped
                    if changed:
                        if turn.ttft_ms is None and turn.text:
                            turn.ttft_ms = int((time.monotonic() - started) * 1000)
                        yield turn
        except Stopped:
            raise
        except Exception as error:  # a stream closed under the reader fails in more ways than one
            if control.stopped:
                raise Stopped from None
            if not isinstance(error, (openai.APIConnectionError, httpx2.HTTPError)):
                raise
            if not (turn.background and turn.response_id):
                raise
        finally:
            control.attach(None)
        if control.stopped:
            raise Stopped
        if turn.finished or turn.status == "failed":
            return
        if not (turn.background and turn.response_id):
            turn.status, turn.error = "interrupted", INTERRUPTED
            return
        turn.notice = f"The connection dropped; picking the answer up again (try {resume + 1} of {RESUMES})…"
        turn_log.emit("resume", turn, control.owner_hash, reason="dropped", attempt=resume + 1)
        yield turn
        stream = None
    yield from _poll(client, turn, control)


def _poll(client: OpenAI, turn: Turn, control: TurnControl) -> Iterator[Turn]:
    """Streaming failed for good: poll the background response until it ends."""
    while True:
        response = client.responses.retrieve(turn.response_id, timeout=_timeout(client, control))
        turn.status, turn.notice = response.status or turn.status, f"Waiting for the answer: {response.status}…"
        yield turn
        if response.status not in {"queued", "in_progress"}:
            finish_response(turn, response)
            turn.notice = None
            return
        if control.wait(POLL_SECONDS):
            raise Stopped


def _after_round(thread: Thread, turn: Turn) -> None:
    turn.notice = None
    if turn.status in {"completed", "incomplete"}:
        thread.last_response_id = turn.response_id


def _stop(client: OpenAI, turn: Turn, ending: Ending) -> None:
    """Cancel a background response on the server if the ending asks; either way keep what arrived."""
    if ending.cancel and turn.background and turn.response_id and not turn.finished:
        try:
            client.with_options(max_retries=0, timeout=10.0).responses.cancel(turn.response_id)
        except (openai.APIError, httpx2.HTTPError):
            pass  # it may have finished meanwhile; the partial answer is kept either way
    turn.status = ending.status or turn.status
    turn.error, turn.notice = ending.message, None


def _fail(turn: Turn, error: Exception, settings: Settings) -> None:
    turn.status = "interrupted" if turn.text else "failed"
    turn.error = stream_error(error, model=settings.model) or explain(error, model=settings.model,
                                                                     endpoint=settings.endpoint)
    turn.notice = None


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
    settle(turn)  # a huge field cut mid-stream is whole in `data` for the page and the history
    turn.latency_ms = (turn.latency_ms or 0) + int((time.monotonic() - started) * 1000)
    if turn.usage is not None:
        turn.cost_usd = cost_usd(turn.model, turn.usage.as_api())
