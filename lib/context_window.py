"""Context windows of known models, in tokens: a small table, and None for a model it does not know."""

from __future__ import annotations

import re

# Published context windows (input + output) as of November 2026. A dated snapshot ("gpt-4.1-2025-04-14")
# has its model's window; anything else (an Azure deployment name, a local model) is unknown, on purpose:
# a guessed window would draw a meter that lies.
WINDOWS: dict[str, int] = {
    "gpt-5": 400_000,
    "gpt-5-mini": 400_000,
    "gpt-5-nano": 400_000,
    "gpt-5-pro": 400_000,
    "gpt-5-codex": 400_000,
    "gpt-5-chat-latest": 128_000,
    "gpt-5.1": 400_000,
    "gpt-5.1-codex": 400_000,
    "gpt-5.1-chat-latest": 128_000,
    "gpt-5.2": 400_000,
    "gpt-5.2-pro": 400_000,
    "gpt-5.2-chat-latest": 128_000,
    "gpt-4.1": 1_047_576,
    "gpt-4.1-mini": 1_047_576,
    "gpt-4.1-nano": 1_047_576,
    "gpt-4o": 128_000,
    "gpt-4o-mini": 128_000,
    "chatgpt-4o-latest": 128_000,
    "gpt-4-turbo": 128_000,
    "o1": 200_000,
    "o1-pro": 200_000,
    "o3": 200_000,
    "o3-pro": 200_000,
    "o3-mini": 200_000,
    "o4-mini": 200_000,
    "o3-deep-research": 200_000,
    "o4-mini-deep-research": 200_000,
    "gpt-oss-120b": 131_072,
    "gpt-oss-20b": 131_072,
}

_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def window_for(model: str | None) -> int | None:
    """The model's context window in tokens; None when the table does not know the model."""
    if not model:
        return None
    name = model.strip().lower().rsplit("/", 1)[-1]  # "openai/gpt-oss-120b" is gpt-oss-120b
    return WINDOWS.get(name) or WINDOWS.get(_SNAPSHOT.sub("", name))
