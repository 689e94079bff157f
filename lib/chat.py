"""One chat turn: build the request, stream it into a Turn, report errors without losing anything."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx2
import openai
from openai import OpenAI

from lib.conversations import Thread, start_conversation
from lib.errors import explain
from lib.pricing import cost_usd
from lib.settings import Settings, is_reasoning_model
from lib.stream import Turn, apply

INTERRUPTED = "The connection dropped before the answer finished; what arrived is kept."


def build_request(settings: Settings, thread: Thread, prompt: str) -> dict[str, Any]:
    """The responses.create arguments for a turn: only the new input, plus the thread reference."""
    request: dict[str, Any] = {
        "model": settings.model,
        "input": [{"role": "user", "content": prompt}],
        "store": settings.store,
        "stream": True,
    }
    if settings.instructions:
        request["instructions"] = settings.instructions
    if is_reasoning_model(settings.model):
        if settings.reasoning_effort:
            request["reasoning"] = {"effort": settings.reasoning_effort}
    elif settings.temperature is not None:
        request["temperature"] = settings.temperature
    if thread.conversation_id:
        request["conversation"] = thread.conversation_id
    elif thread.last_response_id:
        request["previous_response_id"] = thread.last_response_id
    return request


def run_turn(client: OpenAI, settings: Settings, thread: Thread, prompt: str) -> Iterator[Turn]:
    """Yield the turn as it grows; it always ends final or with `error` set, never raising."""
    turn = Turn(prompt=prompt, model=settings.model)
    started = time.monotonic()
    yield turn
    try:
        if not thread.conversation_id and not thread.chained and not thread.last_response_id:
            thread.conversation_id = start_conversation(client, prompt)
            thread.chained = thread.conversation_id is None
        request = build_request(settings, thread, prompt)
        stream = client.with_options(max_retries=0).responses.create(**request)
        turn.status = "in_progress"
        with stream:
            for event in stream:
                if apply(turn, event):
                    if turn.ttft_ms is None and turn.text:
                        turn.ttft_ms = _ms_since(started)
                    yield turn
        if not turn.finished and turn.status != "failed":
            turn.status = "interrupted"
            turn.error = INTERRUPTED
    except (openai.APIError, httpx2.HTTPError) as error:
        turn.status = "interrupted" if turn.text else "failed"
        turn.error = explain(error, model=settings.model, endpoint=settings.endpoint)
    turn.latency_ms = _ms_since(started)
    if turn.usage is not None:
        turn.cost_usd = cost_usd(turn.model, turn.usage.as_api())
    if turn.response_id and turn.status in {"completed", "incomplete"}:
        thread.last_response_id = turn.response_id
    yield turn


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
