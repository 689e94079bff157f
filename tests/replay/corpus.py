"""The replay corpus: real streams recorded from the Responses API by other projects (see README.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fake_openai import Recording

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"


@dataclass(frozen=True)
class Case:
    """One recorded exchange: one stream, or several with the requests the app sends between them."""

    name: str
    repo: str
    commit: str
    license: str
    covers: list[str]
    streams: list[dict[str, str]]
    tools: dict[str, Any] = field(default_factory=dict)
    decisions: list[bool] = field(default_factory=list)  # MCP approvals clicked after each stream but the last
    background: bool = False

    def recordings(self, **options: Any) -> list[Recording]:
        """Each stream as the double serves it."""
        return [Recording.from_file(CORPUS / s["file"], **options) for s in self.streams]

    def finals(self) -> list[dict[str, Any] | None]:
        """The terminal response of each stream (None for a stream the SDK stops at an `error` event)."""
        return [r.final() for r in self.recordings()]


CASES = [Case(**entry) for entry in json.loads((HERE / "corpus.json").read_text())]
BY_NAME = {case.name: case for case in CASES}
STREAMS = [(case, index) for case in CASES for index in range(len(case.streams))]


def stream_id(value: tuple[Case, int]) -> str:
    """A parametrize id: the stream's file name."""
    case, index = value
    return case.streams[index]["file"].removesuffix(".sse")
