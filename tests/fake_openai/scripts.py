"""Scripted answers that a test queues on the fake server."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Union

# A leading-whitespace-plus-word split keeps every character, so joined deltas equal the text.
_WORD = re.compile(r"\s*\S+")


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
        if self.deltas is not None and not 1 <= self.deltas <= max(len(self.text), 1):
            raise ValueError(f"deltas must be between 1 and len(text), got {self.deltas}")
        if self.cut_after is not None and self.cut_after < 0:
            raise ValueError("cut_after must be >= 0")

    def pieces(self) -> list[str]:
        """The text deltas, in order; their concatenation is `text`."""
        return split_text(self.text, self.deltas)


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


def Cut(text: str, after: int) -> Text:  # noqa: N802 - reads like the other script constructors
    """A stream closed by the server after `after` events, with no terminal event."""
    return Text(text, cut_after=after)


Script = Union[Text, Error, Failed, Incomplete]


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


def error_body(message: str, *, type: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """OpenAI's error envelope."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}
