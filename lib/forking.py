"""Branches and forks on the server: a new conversation made from a conversation's items up to a turn."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import openai
from openai import OpenAI

from lib.conversations import title_from, user_text
from lib.stream import as_data

MAX_ITEMS = 20  # conversations.create and conversations.items.create each take at most 20 items
NOT_CARRIED = {
    "reasoning": "reasoning item",
    "mcp_approval_request": "MCP approval",
    "refusal": "refusal",
}
WHY_NOT = (
    "the API keeps reasoning and hosted tool results under ids only their own conversation knows "
    "(reasoning is encrypted for the model that wrote it); the messages and function calls were copied."
)


@dataclass
class Carried:
    """Items as input for a new conversation, and the kinds left behind (with how many)."""

    items: list[dict[str, Any]] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)

    @property
    def note(self) -> str | None:
        """What was not carried over, in one sentence; None when everything was."""
        if not self.dropped:
            return None
        kinds = ", ".join(f"{count} {_kind(name, count)}" for name, count in sorted(self.dropped.items()))
        return f"Not carried into the new conversation: {kinds}: {WHY_NOT}"


def _kind(name: str, count: int) -> str:
    word = NOT_CARRIED.get(name, name.removesuffix("_call").replace("_", " ") + " call")
    return word + ("s" if count > 1 else "")


def _part(part: dict[str, Any]) -> dict[str, Any] | None:
    """An input content part as input again (attachments keep their file ids or data); None if it cannot be."""
    kind = part.get("type")
    if kind in {"input_text", "text"}:
        return {"type": "input_text", "text": part.get("text", "")}
    if kind in {"input_image", "input_file"}:
        return {k: v for k, v in part.items() if v is not None and k != "id"}
    return None


def _message(data: dict[str, Any], carried: Carried) -> dict[str, Any] | None:
    role = data.get("role", "user")
    content = data.get("content") or []
    if isinstance(content, str):
        return {"type": "message", "role": role, "content": content}
    if role == "assistant":
        # An earlier answer goes back as the assistant's text: the output item itself has a server-only id.
        if any(p.get("type") == "refusal" for p in content):
            carried.dropped["refusal"] += 1
        text = "".join(p.get("text", "") for p in content if p.get("type") == "output_text")
        return {"type": "message", "role": "assistant", "content": text} if text else None
    parts = [p for p in (_part(part) for part in content) if p is not None]
    return {"type": "message", "role": role, "content": parts} if parts else None


def carry(items: list[dict[str, Any]]) -> Carried:
    """The items a new conversation can be created with, from a conversation's items (oldest first)."""
    carried = Carried()
    calls = {i.get("call_id") for i in items if i.get("type") == "function_call"}
    outputs = {i.get("call_id") for i in items if i.get("type") == "function_call_output"}
    for data in items:
        kind = data.get("type", "message")
        if kind == "message":
            if (message := _message(data, carried)) is not None:
                carried.items.append(message)
        elif kind == "function_call" and data.get("call_id") in outputs:
            # Without its fc_ id: with it, a reasoning model's call must come with its reasoning item, which
            # cannot be carried; without it, the call is plain input like the messages.
            carried.items.append({k: data[k] for k in ("type", "call_id", "name", "arguments")})
        elif kind == "function_call_output" and data.get("call_id") in calls:
            carried.items.append(
                {"type": "function_call_output", "call_id": data["call_id"], "output": data.get("output", "")}
            )
        elif kind in {"function_call", "function_call_output", "mcp_approval_response"}:
            continue  # half of a pair (a call never answered): the API would refuse the next prompt
        else:
            carried.dropped[kind] += 1
    return carried


def is_user_message(data: dict[str, Any]) -> bool:
    """True for the item that starts a turn (as lib.conversations.turns_from_items groups them)."""
    return data.get("type", "message") == "message" and data.get("role") == "user"


def turn_groups(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """A conversation's items as (what comes before the first turn, the items of each turn)."""
    head: list[dict[str, Any]] = []
    groups: list[list[dict[str, Any]]] = []
    for data in items:
        if is_user_message(data):
            groups.append([data])
        elif data.get("type") == "message" and data.get("role") in {"system", "developer"}:
            (groups[-1] if groups else head).append(data)
        else:
            if not groups:
                groups.append([])
            groups[-1].append(data)
    return head, groups


def conversation_items(client: OpenAI, conversation_id: str) -> list[dict[str, Any]]:
    """Every item of a conversation, oldest first (the SDK's cursor page fetches the next pages)."""
    return [as_data(item) for item in client.conversations.items.list(conversation_id, order="asc", limit=100)]


def held(groups: list[list[dict[str, Any]]], prompts: list[str]) -> int:
    """How many of the conversation's turns a transcript's prompts stand for, oldest first.

    A turn that failed before any response never reached the conversation: its prompt matches no turn there.
    """
    taken = 0
    for prompt in prompts:
        if taken < len(groups) and _prompt_of(groups[taken]) == prompt:
            taken += 1
    return taken


def _prompt_of(group: list[dict[str, Any]]) -> str | None:
    return user_text(group[0]) if group and is_user_message(group[0]) else ("" if group else None)


def items_before(
    client: OpenAI, conversation_id: str, turns: int | list[str], next_prompt: str | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The items of the first turns (a count, or the transcript's prompts of them), and the next turn's items.

    The next turn's items are given only when it is the one with `next_prompt` (empty otherwise). Raises
    ValueError when the conversation has fewer turns.
    """
    head, groups = turn_groups(conversation_items(client, conversation_id))
    if isinstance(turns, list):
        turns = held(groups, turns)
    if not 0 <= turns <= len(groups):
        raise ValueError(
            f"The conversation has {len(groups)} turn{'s' if len(groups) != 1 else ''}; "
            f"a fork keeps 1 to {len(groups)} of them."
        )
    following = groups[turns] if len(groups) > turns else []
    if next_prompt is not None and _prompt_of(following) != next_prompt:
        following = []
    return head + [i for group in groups[:turns] for i in group], following


def create_conversation(client: OpenAI, items: list[dict[str, Any]], metadata: dict[str, str]) -> str:
    """A new conversation holding `items`: the first 20 on create, the rest added 20 at a time."""
    conversation = client.conversations.create(items=items[:MAX_ITEMS], metadata=metadata)  # type: ignore[arg-type]
    try:
        for start in range(MAX_ITEMS, len(items), MAX_ITEMS):
            client.conversations.items.create(conversation.id, items=items[start : start + MAX_ITEMS])  # type: ignore[arg-type]
    except openai.APIError:
        try:  # a half-copied conversation would only mislead: take it back
            client.conversations.delete(conversation.id)
        except openai.APIError:
            pass
        raise
    return conversation.id


@dataclass(frozen=True)
class Copy:
    """A conversation made from another's items: its id, what could not be carried, the next prompt's attachments."""

    conversation_id: str
    note: str | None
    next_parts: list[dict[str, Any]] = field(default_factory=list)  # of the turn after the copied ones


def copy_until(
    client: OpenAI, conversation_id: str, turns: int | list[str], title: str, next_prompt: str | None = None
) -> Copy:
    """A new conversation with the first turns of this one (a branch or a fork); the original stays.

    `turns`: how many, or the transcript's prompts of them (see `held`); `next_prompt`: the prompt of the
    turn after them, whose attachments are wanted again.
    """
    kept, following = items_before(client, conversation_id, turns, next_prompt)
    carried = carry(kept)
    metadata = {"title": title_from(title), "forked_from": conversation_id}
    return Copy(create_conversation(client, carried.items, metadata), carried.note, prompt_parts(following))


def prompt_parts(turn_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The attachments of a turn's user message (its parts other than text), to send again."""
    first = turn_items[0] if turn_items and is_user_message(turn_items[0]) else None
    content = first.get("content") if first else None
    if not isinstance(content, list):
        return []
    return [p for p in (_part(part) for part in content) if p is not None and p["type"] != "input_text"]


def chain_prompt_parts(client: OpenAI, response_id: str, prompt: str) -> list[dict[str, Any]]:
    """The attachments of the prompt a chained response answered (from its input items), to send again."""
    items = [as_data(item) for item in client.responses.input_items.list(response_id, order="asc")]
    prompts = [item for item in items if is_user_message(item) and user_text(item) == prompt]
    return prompt_parts(prompts[-1:])
