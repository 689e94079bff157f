"""Splitting streamed text into deltas whose concatenation is the original text."""

from __future__ import annotations

import re

# A leading-whitespace-plus-word split keeps every character, so joined deltas equal the text.
_WORD = re.compile(r"\s*\S+")


def _even_pieces(text: str, count: int) -> list[str]:
    """Split text into `count` near-equal pieces."""
    size, extra = divmod(len(text), count)
    pieces, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        pieces.append(text[start:end])
        start = end
    return pieces


def split_text(text: str, deltas: int | None) -> list[str]:
    """Split `text` into `deltas` pieces, or one piece per word (whitespace kept) when None."""
    if not text:
        return []
    if deltas is not None:
        return _even_pieces(text, deltas)
    words = _WORD.findall(text)
    if not words:
        return [text]
    # Trailing whitespace belongs to the last word so nothing is lost.
    words[-1] += text[len("".join(words)) :]
    return words


def chunks(text: str, size: int = 8) -> list[str]:
    """Fixed-size pieces, for JSON and code that have no words to split on."""
    return [text[start : start + size] for start in range(0, len(text), size)]


def check_deltas(text: str, deltas: int | None) -> None:
    """Refuse a delta count that cannot split `text`."""
    if deltas is not None and not 1 <= deltas <= max(len(text), 1):
        raise ValueError(f"deltas must be between 1 and len(text), got {deltas}")
