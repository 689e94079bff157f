"""Ids, input-item normalisation and text extraction, as the API stores items."""

from __future__ import annotations

import copy
import uuid
from typing import Any

# Prefixes the real API uses for the item types a test is likely to send back.
_ITEM_PREFIX = {
    "message": "msg",
    "function_call": "fc",
    "function_call_output": "fco",
    "reasoning": "rs",
    "mcp_approval_response": "mcpr",
}


def new_id(prefix: str) -> str:
    """A fresh id like `resp_3f2a...`."""
    return f"{prefix}_{uuid.uuid4().hex}{uuid.uuid4().hex[:16]}"


def normalise_input(value: Any) -> list[dict[str, Any]]:
    """Input (string or item list) as the stored items `input_items.list` returns."""
    if value is None:
        return []
    if isinstance(value, str):
        return [_message("user", value)]
    return [normalise_item(item) for item in value]


def normalise_item(item: dict[str, Any]) -> dict[str, Any]:
    """One input item with its id and status filled in, content in parts."""
    kind = item.get("type") or ("message" if "role" in item else "unknown")
    if kind == "message":
        stored = _message(item.get("role", "user"), item.get("content", ""), item.get("id"))
        if item.get("phase"):
            stored["phase"] = item["phase"]
        return stored
    stored = copy.deepcopy(item)
    stored["type"] = kind
    stored.setdefault("id", new_id(_ITEM_PREFIX.get(kind, "item")))
    # References and approval answers carry no status in the API's item types.
    if kind not in ("item_reference", "mcp_approval_response"):
        stored.setdefault("status", "completed")
    return stored


def _message(role: str, content: Any, item_id: str | None = None) -> dict[str, Any]:
    """A stored message: assistant text becomes output_text, everything else input_text."""
    part_type = "output_text" if role == "assistant" else "input_text"
    if isinstance(content, str):
        parts: list[dict[str, Any]] = [{"type": part_type, "text": content}]
    else:
        parts = [copy.deepcopy(part) for part in content]
    for part in parts:
        if part.get("type") == "output_text":
            part.setdefault("annotations", [])
    return {
        "id": item_id or new_id("msg"),
        "type": "message",
        "role": role,
        "status": "completed",
        "content": parts,
    }


def item_text(item: dict[str, Any]) -> str:
    """All text in one item's content parts (or its `output` for tool outputs)."""
    content = item.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    output = item.get("output")
    return output if isinstance(output, str) else ""


def last_user_text(value: Any) -> str:
    """The text of the last user message in a request's `input`."""
    if isinstance(value, str):
        return value
    for item in reversed(value or []):
        if isinstance(item, dict) and item.get("role") == "user":
            return item_text(item)
    return ""


def count_words(body: dict[str, Any]) -> int:
    """A rough token count for a request: words of its instructions and input."""
    texts = [body.get("instructions") if isinstance(body.get("instructions"), str) else ""]
    value = body.get("input")
    if isinstance(value, str):
        texts.append(value)
    elif isinstance(value, list):
        texts.extend(item_text(item) for item in value if isinstance(item, dict))
    return sum(len(text.split()) for text in texts if text)
