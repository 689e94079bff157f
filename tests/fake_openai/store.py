"""In-memory responses and conversations, shared by the server's request threads."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .background import Run, Runs
from .emit import Step
from .items import new_id


@dataclass
class StoredResponse:
    """A finished response with the input items it was created from and its events."""

    response: dict[str, Any]
    input_items: list[dict[str, Any]]
    events: list[dict[str, Any]]


@dataclass
class StoredConversation:
    """A conversation and its items, oldest first."""

    id: str
    created_at: int
    metadata: dict[str, Any]
    items: list[dict[str, Any]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        """The conversation object as the API returns it."""
        metadata = dict(self.metadata)
        return {"id": self.id, "object": "conversation", "created_at": self.created_at, "metadata": metadata}


class Store:
    """Thread-safe maps of responses and conversations; values handed out are copies."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._responses: dict[str, StoredResponse] = {}
        self._conversations: dict[str, StoredConversation] = {}
        self.runs = Runs()

    def clear(self) -> None:
        """Forget everything, stopping background runs first."""
        self.runs.cancel_all()
        with self._lock:
            self._responses.clear()
            self._conversations.clear()

    def put_response(self, stored: StoredResponse) -> None:
        """Keep a finished response."""
        with self._lock:
            self._responses[stored.response["id"]] = copy.deepcopy(stored)

    def replace_response(self, stored: StoredResponse) -> bool:
        """Update a response still stored; False when it is gone (deleted or forgotten)."""
        with self._lock:
            if stored.response["id"] not in self._responses:
                return False
            self._responses[stored.response["id"]] = copy.deepcopy(stored)
            return True

    def start_run(self, steps: list[Step], input_items: list[dict[str, Any]], finish: Callable[[], None]) -> Run:
        """Store a background response as queued and start producing its events."""
        first = next(event for _, event in steps if isinstance(event, dict))["response"]
        self.put_response(StoredResponse(first, input_items, []))

        def publish(snapshot: dict[str, Any], events: list[dict[str, Any]]) -> bool:
            return self.replace_response(StoredResponse(snapshot, input_items, events))

        return self.runs.add(first["id"], Run(steps, publish, finish))

    def response(self, response_id: str) -> StoredResponse | None:
        """A stored response, or None."""
        with self._lock:
            stored = self._responses.get(response_id)
            return copy.deepcopy(stored) if stored else None

    def delete_response(self, response_id: str) -> bool:
        """Delete a response; False when it did not exist."""
        with self._lock:
            return self._responses.pop(response_id, None) is not None

    def create_conversation(self, metadata: dict[str, Any] | None, items: list[dict[str, Any]]) -> dict[str, Any]:
        """A new conversation holding `items`."""
        conversation = StoredConversation(new_id("conv"), int(time.time()), dict(metadata or {}), list(items))
        with self._lock:
            self._conversations[conversation.id] = conversation
            return conversation.public()

    def conversation(self, conversation_id: str) -> dict[str, Any] | None:
        """The public conversation object, or None."""
        with self._lock:
            conversation = self._conversations.get(conversation_id)
            return conversation.public() if conversation else None

    def update_conversation(self, conversation_id: str, metadata: dict[str, Any]) -> dict[str, Any] | None:
        """Replace a conversation's metadata, as the API's update does."""
        with self._lock:
            conversation = self._conversations.get(conversation_id)
            if conversation is None:
                return None
            conversation.metadata = dict(metadata)
            return conversation.public()

    def delete_conversation(self, conversation_id: str) -> bool:
        """Delete a conversation; False when it did not exist."""
        with self._lock:
            return self._conversations.pop(conversation_id, None) is not None

    def append_items(self, conversation_id: str, items: list[dict[str, Any]]) -> bool:
        """Add items at the end of a conversation; False when it does not exist."""
        with self._lock:
            conversation = self._conversations.get(conversation_id)
            if conversation is None:
                return False
            conversation.items.extend(copy.deepcopy(items))
            return True

    def items(self, conversation_id: str) -> list[dict[str, Any]] | None:
        """A copy of a conversation's items, oldest first, or None."""
        with self._lock:
            conversation = self._conversations.get(conversation_id)
            return copy.deepcopy(conversation.items) if conversation else None

    def delete_item(self, conversation_id: str, item_id: str) -> bool:
        """Remove one item from a conversation; False when either is missing."""
        with self._lock:
            conversation = self._conversations.get(conversation_id)
            if conversation is None:
                return False
            kept = [item for item in conversation.items if item.get("id") != item_id]
            found = len(kept) != len(conversation.items)
            conversation.items = kept
            return found


def cursor_page(items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    """A cursor list page over items (oldest first) by `order` (default desc), `after` and `limit`."""
    ordered = list(reversed(items)) if query.get("order", "desc") == "desc" else list(items)
    after = query.get("after")
    if after:
        ids = [item.get("id") for item in ordered]
        ordered = ordered[ids.index(after) + 1 :] if after in ids else []
    try:
        limit = max(1, min(100, int(query.get("limit") or 20)))
    except ValueError:
        limit = 20
    page = ordered[:limit]
    return list_page(page, has_more=len(ordered) > limit)


def list_page(data: list[dict[str, Any]], has_more: bool = False) -> dict[str, Any]:
    """The `{"object": "list", ...}` envelope with first/last ids."""
    return {
        "object": "list",
        "data": data,
        "first_id": data[0].get("id") if data else None,
        "last_id": data[-1].get("id") if data else None,
        "has_more": has_more,
    }
