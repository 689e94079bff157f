"""PURE: one output item of a turn, and the streamed text in it (written by the worker, read by the page)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

COMPACT_AFTER = 64  # pieces held before the writer may join them (joins happen as the text doubles)
LIVE_FIELD_CHARS = 4096  # a streamed data field is copied into `data` on every delta up to this size


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
        self.compact()  # the text doubled since the last join: linear time overall
        return True

    def compact(self) -> str:
        """Join the pieces into one string and keep that (writer only); the whole text."""
        joined = "".join(self._parts)
        self._parts, self._head, self._tail = [joined], len(joined), 0
        return joined

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


@dataclass
class Item:
    """One output item: a message, a reasoning summary or a tool call."""

    id: str
    type: str
    status: str = "in_progress"
    annotations: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    response_id: str | None = None  # the response that produced it (a turn may span several)
    # Streamed text lives in Pieces (written by the turn's worker, read by the page); read it through
    # `text`, `refusal`, `summary` and `data`/`streamed()`, which never write. A streamed data field
    # (arguments, code) is whole in `data` up to LIVE_FIELD_CHARS, after its `*.done` event and once
    # the turn ends; past that size it lags by under a quarter while streaming, and `streamed()` is exact.
    pieces: Pieces = field(default_factory=Pieces, repr=False)
    refusal_pieces: Pieces = field(default_factory=Pieces, repr=False)
    summary_pieces: list[Pieces] = field(default_factory=list, repr=False)
    streams: dict[str, Pieces] = field(default_factory=dict, repr=False)  # data fields still streaming

    @property
    def text(self) -> str:
        """The message text received so far."""
        return str(self.pieces)

    def set_text(self, text: str) -> None:
        """Replace the text with the authoritative final value."""
        self.pieces.set(text)

    @property
    def refusal(self) -> str:
        """The refusal received so far."""
        return str(self.refusal_pieces)

    @refusal.setter
    def refusal(self, text: str) -> None:
        self.refusal_pieces.set(text)

    @property
    def summary(self) -> list[str]:
        """The reasoning summary parts received so far."""
        return [str(part) for part in list(self.summary_pieces)]

    @summary.setter
    def summary(self, parts: list[str]) -> None:
        self.summary_pieces = [Pieces(part) for part in parts]

    def streamed(self, name: str) -> str:
        """A text field of `data` as received so far, exact even while it streams (data may lag when huge)."""
        streaming = self.streams.get(name)
        return str(streaming) if streaming is not None else str(self.data.get(name) or "")

    def replace_data(self, data: dict[str, Any]) -> None:
        """Take the authoritative item (writer only); nothing streams any more."""
        self.data, self.streams = data, {}
