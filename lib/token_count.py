"""The input tokens of the next turn, counted by the API (`responses.input_tokens.count`) before it is sent."""

from __future__ import annotations

import json
from typing import Any

from openai import OpenAI

from lib.chat import build_request
from lib.conversations import Thread
from lib.settings import Settings

# The arguments of responses.create that input_tokens.count takes too (the SDK's signature); the rest
# (store, stream, include, background, max_output_tokens, ...) do not change what the input holds.
COUNTED = (
    "conversation",
    "input",
    "instructions",
    "model",
    "parallel_tool_calls",
    "personality",
    "previous_response_id",
    "reasoning",
    "text",
    "tool_choice",
    "tools",
    "truncation",
)
TIMEOUT_SECONDS = 5.0  # a count is a hint: never worth a long wait


def count_request(settings: Settings, thread: Thread) -> dict[str, Any] | None:
    """The count's arguments for the next turn before its message: same model, instructions, tools and thread.

    What the thread still has to send (function outputs, a compacted window) is the input. None when
    there is nothing to count yet (a new chat with no instructions and no tools).
    """
    request = build_request(settings, thread, list(thread.unsent))
    counted = {name: request[name] for name in COUNTED if name in request}
    if not counted["input"]:
        del counted["input"]
    if set(counted) == {"model"}:
        return None
    return counted


def cache_key(client_id: str, request: dict[str, Any], last_response_id: str | None, turns: int) -> str:
    """One count per endpoint, request and conversation state: reruns reuse it, a new answer recounts."""
    return json.dumps([client_id, request, last_response_id, turns], sort_keys=True, default=str)


def count_input_tokens(client: OpenAI, request: dict[str, Any]) -> int:
    """The API's exact count; its errors are the SDK's (a 404 means the endpoint is not there)."""
    quick = client.with_options(max_retries=0, timeout=TIMEOUT_SECONDS)
    return quick.responses.input_tokens.count(**request).input_tokens
