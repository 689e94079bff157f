"""PURE: text that grows by appends, written by one thread and read by others."""

from __future__ import annotations

COMPACT_AFTER = 64  # pieces held before the writer may join them (joins happen as the text doubles)


class Pieces:
    """Text that grows by appends in linear time: one writer appends and compacts, readers only join.

    The writer never changes a list a reader may hold: compaction swaps in a new one, so a reader
    sees every piece appended before it looked (issue 13: a getter that compacted lost deltas).
    """

    __slots__ = ("_parts", "_head", "_tail")

    def __init__(self, text: str = "") -> None:
        self._parts: list[str] = [text] if text else []
        self._head, self._tail = len(text), 0  # characters joined so far, and appended since

    def append(self, piece: str) -> bool:
        """Add a piece (writer only); True when this joined the pieces, which then are one string."""
        self._parts.append(piece)
        self._tail += len(piece)
        if len(self._parts) <= COMPACT_AFTER or self._tail < self._head:
            return False
        joined = "".join(self._parts)  # the text doubled since the last join: linear time overall
        self._parts, self._head, self._tail = [joined], len(joined), 0
        return True

    def set(self, text: str) -> None:
        """Replace everything with the authoritative value (writer only)."""
        self._parts, self._head, self._tail = ([text] if text else []), len(text), 0

    def size(self) -> int:
        """Characters held."""
        return self._head + self._tail

    def __str__(self) -> str:
        parts = self._parts  # one read: a consistent snapshot however the writer goes on
        return parts[0] if len(parts) == 1 else "".join(parts)

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other) if isinstance(other, Pieces) else NotImplemented

    def __repr__(self) -> str:
        return f"Pieces({str(self)!r})"
