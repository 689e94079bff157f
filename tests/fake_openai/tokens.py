"""The double's token counting and server-side compaction rules (`context_management` on create).

Counts are deterministic, so tests can assert them: one token per four characters (rounded up) of the
instructions, of the tools' compact JSON, and of each item's text (a compaction item counts its
`encrypted_content`), over the request's context (its conversation, or its previous_response_id chain) and
its input. A compaction item is four characters of `encrypted_content` per token, a tenth of what it
compacted (at least one token). With `context_management=[{"type": "compaction", "compact_threshold": N}]`
a request whose count passes N gets a compaction item as its first output, before the answer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from .emit import Emitter
from .items import item_text, new_id, normalise_input

Json = dict[str, Any]
COMPACTION = "compaction"


def tokens_of(text: str) -> int:
    """The double's tokenizer: four characters a token, rounded up."""
    return math.ceil(len(text) / 4)


def item_tokens(item: Json) -> int:
    """One context or input item's tokens."""
    if item.get("type") == COMPACTION:
        return tokens_of(str(item.get("encrypted_content", "")))
    return tokens_of(item_text(item))


def request_tokens(body: Json, context: list[Json]) -> int:
    """The input tokens of a request over its context, as `/responses/input_tokens` reports them."""
    instructions = body.get("instructions") if isinstance(body.get("instructions"), str) else ""
    tools = json.dumps(body["tools"], separators=(",", ":")) if body.get("tools") else ""
    items = context + normalise_input(body.get("input"))
    return tokens_of(instructions or "") + tokens_of(tools) + sum(item_tokens(item) for item in items)


def compaction_item(compacted_tokens: int) -> Json:
    """The opaque item that stands for what was compacted (its size: a tenth, at least one token)."""
    size = max(1, compacted_tokens // 10)
    return {"id": new_id("cmp"), "type": COMPACTION, "encrypted_content": "x" * 4 * size}


def context_management_refusal(body: Json) -> tuple[str, str] | None:
    """(message, param) of the 400 for a malformed `context_management`, else None."""
    # Messages not checked against the live API; the SDK's type is a list of {type, compact_threshold}.
    entries = body.get("context_management")
    if entries is None:
        return None
    if not isinstance(entries, list):
        return "Invalid type for 'context_management': expected an array.", "context_management"
    for number, entry in enumerate(entries):
        where = f"context_management[{number}]"
        if not isinstance(entry, dict) or entry.get("type") != COMPACTION:
            return f"Invalid value for '{where}.type': only 'compaction' is supported.", f"{where}.type"
        threshold = entry.get("compact_threshold")
        if threshold is not None and (not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1):
            return f"Invalid '{where}.compact_threshold': expected a positive integer.", f"{where}.compact_threshold"
    return None


def compaction_lead(body: Json, context: list[Json]) -> Callable[[Emitter], Json] | None:
    """The compaction output a request gets first when its count passes its threshold; None otherwise."""
    thresholds = [entry.get("compact_threshold") for entry in body.get("context_management") or []]
    counted = request_tokens(body, context)
    if not any(isinstance(t, int) and counted > t for t in thresholds):
        return None

    def lead(emit: Emitter) -> Json:
        item = compaction_item(counted)
        index = emit.added({**item, "encrypted_content": ""})
        emit.on_item("response.compaction.compacting", index, item)
        return emit.done(index, item)

    return lead
