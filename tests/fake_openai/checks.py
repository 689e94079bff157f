"""The checks the API makes on a request's tool outputs and approvals against its context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .store import Store

Json = dict[str, Any]


@dataclass(frozen=True)
class Refusal:
    """Why the API answers 400 before generating anything."""

    message: str
    param: str | None = "input"
    code: str | None = None


def context_items(store: Store, previous_id: str | None, conversation_id: str | None) -> list[Json]:
    """The items a request continues from: its conversation's, or its chain of previous responses'."""
    if conversation_id:
        return store.items(conversation_id) or []
    items: list[Json] = []
    seen: set[str] = set()
    while previous_id and previous_id not in seen:
        seen.add(previous_id)
        stored = store.response(previous_id)
        if stored is None:
            break
        items[:0] = stored.input_items + stored.response["output"]
        previous_id = stored.response.get("previous_response_id")
    return items


def check_tool_items(context: list[Json], input_items: list[Json]) -> Refusal | None:
    """A Refusal when outputs and calls, or approvals and requests, do not pair up; else None."""
    calls: list[str] = []
    answered: set[str] = set()
    for item in context + input_items:
        kind = item.get("type")
        if kind == "function_call":
            calls.append(item.get("call_id", ""))
        elif kind == "function_call_output":
            answered.add(item.get("call_id", ""))
    for item in input_items:
        if item.get("type") == "function_call_output" and item.get("call_id") not in calls:
            return Refusal(f"No tool call found for function call output with call_id {item.get('call_id')}.")
    requests = {item.get("id") for item in context + input_items if item.get("type") == "mcp_approval_request"}
    for item in input_items:
        if item.get("type") == "mcp_approval_response" and item.get("approval_request_id") not in requests:
            # Message not checked against the live API; the 400 and `param` match its other pairing errors.
            return Refusal(f"No approval request found for approval_request_id {item.get('approval_request_id')}.")
    # The model cannot go on while one of its calls has no output: every parallel call must be answered.
    pending = [call_id for call_id in calls if call_id not in answered]
    if pending:
        return Refusal(f"No tool output found for function call {pending[0]}.")
    return None


def approvals(context: list[Json], input_items: list[Json]) -> dict[tuple[str, str], str]:
    """(server_label, tool name) -> approval request id, for each request this input approves."""
    requests = {item.get("id"): item for item in context + input_items if item.get("type") == "mcp_approval_request"}
    approved: dict[tuple[str, str], str] = {}
    for item in input_items:
        request = requests.get(item.get("approval_request_id"))
        if item.get("type") == "mcp_approval_response" and item.get("approve") and request:
            approved[(request.get("server_label", ""), request.get("name", ""))] = request["id"]
    return approved


def check_background(body: Json) -> Refusal | None:
    """Background responses must be stored: the client fetches them later."""
    if body.get("background") and body.get("store") is False:
        # Message not checked against the live API.
        return Refusal("Background mode requires store=true.", param="background")
    return None
