"""A stream recorded from the real API, served byte for byte."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TERMINAL = frozenset({"response.completed", "response.failed", "response.incomplete"})
# SSE frames end at a blank line; the separator stays with its frame so the bytes go out as recorded.
_FRAME_END = re.compile(rb"(?<=\n\n)")


@dataclass(frozen=True)
class Frame:
    """One SSE frame exactly as recorded, and the `type` of its JSON data (None for comments, `[DONE]`)."""

    data: bytes
    type: str | None


@dataclass(frozen=True)
class Recording:
    """A recorded SSE body, served as-is: never renumbered, re-serialised or checked against our own events.

    `chunked`: frame the body as chunks (as api.openai.com does) or not; None follows the server's setting.
    """

    body: bytes
    chunked: bool | None = None
    delay: float = 0.0  # seconds before each frame, to watch a page draw while it streams

    @classmethod
    def from_file(cls, path: str | Path, **options: Any) -> Recording:
        """The recording stored in a file of SSE frames."""
        return cls(Path(path).read_bytes(), **options)

    def frames(self) -> list[Frame]:
        """The body cut into its frames, in order."""
        return [Frame(raw, _type_of(raw)) for raw in _FRAME_END.split(self.body) if raw.strip()]

    def events(self) -> list[dict[str, Any]]:
        """The JSON data of every frame that has one, in order."""
        return [event for raw in _FRAME_END.split(self.body) if (event := _data_of(raw)) is not None]

    def final(self) -> dict[str, Any] | None:
        """The response of the terminal event, or None when the recording has none."""
        terminal = [e["response"] for e in self.events() if e.get("type") in TERMINAL]
        return terminal[-1] if terminal else None


def _data_of(frame: bytes) -> dict[str, Any] | None:
    lines = [line[5:].strip() for line in frame.decode("utf-8").split("\n") if line.startswith("data:")]
    if not lines or lines == ["[DONE]"]:
        return None
    value = json.loads("\n".join(lines))
    return value if isinstance(value, dict) else None


def _type_of(frame: bytes) -> str | None:
    event = _data_of(frame)
    return event.get("type") if event else None
