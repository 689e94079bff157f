"""The double's context endpoints: `POST /responses/input_tokens` and `POST /responses/compact`.

Counts follow `tokens.py`. A compaction keeps every user message verbatim, then one `compaction` item
(`tokens.compaction_item`): `usage.input_tokens` is the count compacted, `usage.output_tokens` the item's
size. `FakeOpenAI(counts_tokens=False)` answers both as a server without them does: 404.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from .api import JsonReply, error
from .checks import context_items
from .events import usage
from .items import new_id, normalise_input
from .store import Store
from .tokens import compaction_item, item_tokens, request_tokens

Json = dict[str, Any]


def window_after(items: list[Json], compacted_tokens: int) -> list[Json]:
    """What a compaction returns: every user message as it was, then one compaction item."""
    kept = [item for item in items if item.get("type", "message") == "message" and item.get("role") == "user"]
    return kept + [compaction_item(compacted_tokens)]


class ContextApi:
    """Counting and compacting, over the responses and conversations the double stores."""

    def __init__(self, store: Store, conversations: bool, enabled: bool = True) -> None:
        self.store, self.conversations, self.enabled = store, conversations, enabled
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., Any]]] = [
            ("POST", re.compile(r"/responses/input_tokens"), self.count),
            ("POST", re.compile(r"/responses/compact"), self.compact),
        ]

    def _context(self, body: Any, path: str) -> tuple[list[Json], JsonReply | None]:
        """The request's context items, or the API's refusal of the request."""
        if not self.enabled:
            return [], error(404, f"Invalid URL (POST /v1{path})")
        if not isinstance(body, dict):
            return [], error(400, "We could not parse the JSON body of your request.")
        conversation = body.get("conversation")
        conversation_id = conversation.get("id") if isinstance(conversation, dict) else conversation
        previous_id = body.get("previous_response_id")
        if conversation_id and previous_id:
            message = (
                "Mutually exclusive parameters: Ensure you are only providing one of: "
                "'previous_response_id' or 'conversation'."
            )
            return [], error(400, message, "previous_response_id", "mutually_exclusive_parameters")
        if conversation_id and (not self.conversations or self.store.conversation(conversation_id) is None):
            return [], error(404, f"Conversation with id '{conversation_id}' not found.", "conversation")
        if previous_id and self.store.response(previous_id) is None:
            message = f"Previous response with id '{previous_id}' not found."
            return [], error(400, message, "previous_response_id", "previous_response_not_found")
        return context_items(self.store, previous_id, conversation_id), None

    def count(self, body: Any, **_: Any) -> JsonReply:
        context, refusal = self._context(body, "/responses/input_tokens")
        if refusal is not None:
            return refusal
        return JsonReply(200, {"object": "response.input_tokens", "input_tokens": request_tokens(body, context)})

    def compact(self, body: Any, **_: Any) -> JsonReply:
        if isinstance(body, dict) and "conversation" in body:  # compact takes input or previous_response_id only
            return error(400, "Unknown parameter: 'conversation'.", "conversation", "unknown_parameter")
        context, refusal = self._context(body, "/responses/compact")
        if refusal is not None:
            return refusal
        if not body.get("model"):
            return error(400, "Missing required parameter: 'model'.", "model", "missing_required_parameter")
        items = context + normalise_input(body.get("input"))
        if not items:
            return error(400, "Nothing to compact: give 'input' or 'previous_response_id'.", "input")
        compacted = request_tokens(body, context)
        output = window_after(items, compacted)
        return JsonReply(
            200,
            {
                "id": new_id("resp"),
                "object": "response.compaction",
                "created_at": int(time.time()),
                "output": output,
                "usage": usage(compacted, item_tokens(output[-1])),
            },
        )
