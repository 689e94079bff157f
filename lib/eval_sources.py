"""Dataset rows from History: the whole user message fetched from the API, where it still stores the response."""

from __future__ import annotations

from typing import Any

import httpx2
import openai
from openai import OpenAI

from lib.conversations import user_text
from lib.store import PREVIEW_CHARS

MAX_FETCHED = 100  # rows whose whole prompt is fetched at once (one request each); beyond, the recorded words


def with_full_inputs(client: OpenAI, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The rows with each cut-off input replaced by the response's last user message; and how many stay cut."""
    out, cut = [], 0
    for number, row in enumerate(rows):
        text = row["input"]
        if len(text) >= PREVIEW_CHARS and row.get("source_response_id"):
            whole = _last_user_message(client, row["source_response_id"]) if number < MAX_FETCHED else None
            cut += whole is None
            text = whole or text
        out.append({**row, "input": text})
    return out, cut


def _last_user_message(client: OpenAI, response_id: str) -> str | None:
    """The text of the response's last user input item, or None when the API no longer has it."""
    try:
        page = client.with_options(max_retries=1, timeout=15.0).responses.input_items.list(
            response_id, order="desc", limit=20
        )
    except (openai.APIError, httpx2.HTTPError):
        return None
    for item in page.data:
        data = item.model_dump()
        if data.get("type") == "message" and data.get("role") == "user":
            return user_text(data).strip() or None
    return None
