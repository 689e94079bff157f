"""Markdown that grows while it streams, without re-sending the whole answer on every token."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from lib.ui.text import live_markdown

MIN_INTERVAL = 0.08  # seconds between redraws of the live tail
TAIL_BYTES_PER_SECOND = 40_000  # a long tail is redrawn less often: its bytes dominate traffic

_FENCE = re.compile(r"^\s*(```|~~~)", re.MULTILINE)


def paragraph_break(text: str, start: int) -> int:
    """Index just after the last blank line in text[start:] that is outside a code fence, or start."""
    cut = text.rfind("\n\n", start)
    while cut >= start:
        if len(_FENCE.findall(text, 0, cut)) % 2 == 0:
            return cut + 2
        cut = text.rfind("\n\n", start, cut)
    return start


class LiveMarkdown:
    """Each finished paragraph gets its own element, drawn once; only the tail is redrawn, paced."""

    # Every piece drawn goes through `render` (by default lib.markup's rewrite, with the owner's image hosts),
    # paragraph and tail alike: a half-written `![x](http` never becomes an image when it is completed.

    def __init__(self, container: Any, render: Callable[[str], str] = live_markdown) -> None:
        self._container = container
        self._render = render
        self._tail = container.empty()
        self._committed = 0
        self._drawn_tail: str | None = None
        self._last_draw = 0.0

    def update(self, text: str, *, final: bool = False) -> None:
        """Show `text`; between final updates, redraw at most every MIN_INTERVAL (longer for long tails)."""
        now = time.monotonic()
        pending = len(text) - self._committed
        interval = max(MIN_INTERVAL, pending / TAIL_BYTES_PER_SECOND)
        if not final and now - self._last_draw < interval:
            return
        self._last_draw = now
        cut = paragraph_break(text, self._committed)
        if cut > self._committed:
            self._tail.markdown(self._render(text[self._committed : cut]))
            self._committed = cut
            self._tail = self._container.empty()
            self._drawn_tail = None
        tail = text[self._committed :]
        if tail and tail != self._drawn_tail:
            self._tail.markdown(self._render(tail))
            self._drawn_tail = tail
