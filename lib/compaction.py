"""Compaction: the conversation squeezed by the API (`responses.compact`), and the thread that goes on from it.

`responses.compact` takes `input` or a `previous_response_id` (never a conversation) and returns the new
context window: every user message, then one opaque `compaction` item. The next turn must start from that
window: a chain sends it as input with no previous_response_id (the new response starts a new chain); a
conversation moves to a new conversation created with it, so the URL and a reload keep working.
Automatic compaction is the request's `context_management` (server-side, in the same stream).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openai import OpenAI

from lib.context_meter import COMPACTION, compact_threshold
from lib.conversations import Thread, title_from
from lib.items import Item
from lib.pricing import cost_usd
from lib.settings import Settings
from lib.stream import Turn, Usage, as_data

MAX_CREATE_ITEMS = 20  # conversations.create and conversations.items.create take at most 20 items at a time
SUPPORTED = ("openai", "azure")  # providers whose Responses API compacts; a compatible server may refuse the field


@dataclass
class Compacted:
    """What one compaction made: the window the thread goes on from, and what it cost."""

    response_id: str
    window: list[dict[str, Any]]
    turns: int  # turns of the transcript it replaced
    usage: Usage
    cost_usd: float | None

    @property
    def tokens(self) -> int:
        """The compaction item's size, as the API billed it."""
        return self.usage.output_tokens

    @property
    def label(self) -> str:
        """'Compacted 48 turns into 1,200 tokens'."""
        return f"Compacted {self.turns:,} turn{'s' if self.turns != 1 else ''} into {self.tokens:,} tokens"

    def card_item(self) -> Item:
        """The compaction as an item of the transcript's last turn (the card draws it)."""
        data = {
            "type": COMPACTION,
            "compacted_turns": self.turns,
            "compacted_tokens": self.tokens,
            "label": self.label,
            "response_id": self.response_id,
        }
        return Item(id=f"compaction_{self.response_id}", type=COMPACTION, status="completed", data=data)

    def as_turn(self, model: str) -> Turn:
        """A turn-shaped record of the call, for the budget's tab (which settles turns)."""
        return Turn(
            prompt="",
            model=model,
            response_id=self.response_id,
            status="completed",
            usage=self.usage,
            cost_usd=self.cost_usd,
        )


def compact_source(client: OpenAI, thread: Thread) -> dict[str, Any] | None:
    """What to compact: a conversation's items as input, or a chain's last response; None for an empty chat."""
    if thread.conversation_id:
        items = [
            as_data(item) for item in client.conversations.items.list(thread.conversation_id, order="asc", limit=100)
        ]
        return {"input": items + list(thread.unsent)} if items else None
    if thread.last_response_id:
        source: dict[str, Any] = {"previous_response_id": thread.last_response_id}
        if thread.unsent:
            source["input"] = list(thread.unsent)
        return source
    return None


def turns_since_compaction(turns: list[Turn]) -> int:
    """Turns with a prompt after the last compaction in the transcript (all of them if none)."""
    count = 0
    for turn in reversed(turns):
        if any(item.type == COMPACTION for item in turn.items):
            break
        count += 1
    return count


def compact(client: OpenAI, settings: Settings, source: dict[str, Any], turns: int) -> Compacted:
    """Ask the API to compact; its errors are the SDK's."""
    request: dict[str, Any] = {"model": settings.model, **source}
    if settings.instructions:
        request["instructions"] = settings.instructions
    result = client.with_options(max_retries=0).responses.compact(**request)
    usage = Usage()
    usage.add(result.usage)
    return Compacted(
        response_id=result.id,
        window=[as_data(item) for item in result.output],
        turns=turns,
        usage=usage,
        cost_usd=cost_usd(settings.model, result.usage),
    )


def as_input(item: dict[str, Any]) -> dict[str, Any]:
    """A window item as an input item: messages and compactions without the ids and statuses of output."""
    if item.get("type") == COMPACTION:
        return {"type": COMPACTION, "encrypted_content": item.get("encrypted_content", "")}
    if item.get("type", "message") == "message":
        return {"type": "message", "role": item.get("role", "user"), "content": item.get("content", "")}
    return item


def continued_thread(client: OpenAI, thread: Thread, compacted: Compacted, title: str) -> Thread:
    """The thread the next turn goes on from: a new conversation holding the window, or a chain that sends it."""
    window = [as_input(item) for item in compacted.window]
    if not thread.conversation_id:
        return Thread(chained=True, unsent=window)
    metadata = {"title": title_from(title), "compacted_from": thread.conversation_id}
    conversation = client.conversations.create(items=window[:MAX_CREATE_ITEMS], metadata=metadata)  # type: ignore[arg-type]
    for start in range(MAX_CREATE_ITEMS, len(window), MAX_CREATE_ITEMS):
        client.conversations.items.create(conversation.id, items=window[start : start + MAX_CREATE_ITEMS])  # type: ignore[arg-type]
    return Thread(conversation_id=conversation.id)


def context_management(settings: Settings) -> list[dict[str, Any]] | None:
    """The request's automatic compaction past the threshold set on Setup; None when off, unknown or unsupported."""
    if settings.provider not in SUPPORTED:
        return None
    threshold = compact_threshold(settings.model, settings.compact_at_percent)
    return [{"type": "compaction", "compact_threshold": threshold}] if threshold else None
