"""Scripted answers that a test queues on the fake server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .outputs import OUTPUT_KINDS, Output
from .recording import Recording
from .text import check_deltas, split_text

__all__ = [
    "Cut",
    "Endless",
    "Error",
    "Failed",
    "Incomplete",
    "Recording",
    "Reply",
    "Script",
    "Seen",
    "Text",
    "error_body",
    "split_text",
]


@dataclass(frozen=True)
class Text:
    """A streamed (or plain) assistant message."""

    text: str
    deltas: int | None = None
    delay: float = 0.0
    usage: dict[str, Any] | None = None
    cut_after: int | None = None
    extra: tuple[dict[str, Any] | str, ...] = ()

    def __post_init__(self) -> None:
        check_deltas(self.text, self.deltas)
        if self.cut_after is not None and self.cut_after < 0:
            raise ValueError("cut_after must be >= 0")

    def pieces(self) -> list[str]:
        """The text deltas, in order; their concatenation is `text`."""
        return split_text(self.text, self.deltas)


@dataclass(frozen=True)
class Seen:
    """An answer naming every user message the model saw, its thread's and the new input's: "Seen: a | b"."""


@dataclass(frozen=True)
class Error:
    """An HTTP error answered instead of a response, in OpenAI's error body format."""

    status: int
    message: str = "The server had an error while processing your request. Sorry about that!"
    code: str | None = None
    type: str = "invalid_request_error"
    param: str | None = None
    headers: dict[str, str] | None = None

    def body(self) -> dict[str, Any]:
        """The JSON body OpenAI sends with this error."""
        return error_body(self.message, type=self.type, param=self.param, code=self.code)


@dataclass(frozen=True)
class Failed:
    """A response that starts, optionally streams some text, then ends with `response.failed`."""

    message: str = "The server had an error while processing your request. Sorry about that!"
    # The SDK types `ResponseError.code` as a closed Literal: keep to its values (server_error, ...).
    code: str = "server_error"
    text: str = ""
    # An `error` event first, in the shape the live API sends (`{"type": "error", "error": {...}}`); the SDK
    # raises it as an APIError. Its code may be any (insufficient_quota, context_length_exceeded, ...).
    event: bool = False


@dataclass(frozen=True)
class Incomplete:
    """A message cut short by the model, ending with `response.incomplete`."""

    text: str
    reason: str = "max_output_tokens"
    deltas: int | None = None
    usage: dict[str, Any] | None = None

    def pieces(self) -> list[str]:
        """The text deltas, in order."""
        return split_text(self.text, self.deltas)


@dataclass(frozen=True)
class Endless:
    """A message that never ends (a runaway or hostile server): `delta` every `delay` seconds for ever.

    `silent`: after the message starts, only SSE keep-alive comments (`: keep-alive`), which the SDK skips,
    so the client sees no event at all. Streams only (a non-streamed create of it is refused).
    """

    delta: str = "and on "
    delay: float = 0.01
    silent: bool = False


def Cut(text: str, after: int) -> Text:  # noqa: N802 - reads like the other script constructors
    """A stream closed by the server after `after` events, with no terminal event."""
    return Text(text, cut_after=after)


class Reply:
    """A response whose output items stream in order, each with its tool's own event family."""

    def __init__(
        self,
        *outputs: Output,
        usage: dict[str, Any] | None = None,
        delay: float = 0.0,
        cut_after: int | None = None,
        extra: tuple[dict[str, Any] | str, ...] = (),
        queued: float = 0.0,
        resume_cut_after: int | None = None,
    ) -> None:
        for output in outputs:
            if not isinstance(output, OUTPUT_KINDS):
                raise TypeError(f"not an output kind: {output!r}")
        if cut_after is not None and cut_after < 0:
            raise ValueError("cut_after must be >= 0")
        self.outputs = tuple(outputs)
        self.usage = usage
        # Seconds between deltas (and between a hosted tool's steps).
        self.delay = delay
        # Events sent before the server drops the connection (a background job goes on).
        self.cut_after = cut_after
        self.extra = tuple(extra)
        # Seconds a background response stays `queued` before it starts.
        self.queued = queued
        # Events each resumed stream (`retrieve(stream=True)`) sends before it drops too; None: resumes finish.
        self.resume_cut_after = resume_cut_after

    def __repr__(self) -> str:
        return f"Reply{self.outputs!r}"


Script = Text | Error | Failed | Incomplete | Reply | Endless | Recording | Seen


def error_body(message: str, *, type: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """OpenAI's error envelope."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}
