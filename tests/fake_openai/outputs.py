"""The output items a scripted `Reply` streams, one dataclass per kind, and citation builders."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .text import check_deltas, split_text

Json = dict[str, Any]

_ANNOTATION_FIELDS = {
    "url_citation": ("url", "title", "start_index", "end_index"),
    "file_citation": ("file_id", "filename", "index"),
    "container_file_citation": ("container_id", "file_id", "filename", "start_index", "end_index"),
    "file_path": ("file_id", "index"),
}


def url_citation(url: str, title: str, start_index: int, end_index: int) -> Json:
    """A `url_citation` annotation over text[start_index:end_index]."""
    return {"type": "url_citation", "url": url, "title": title, "start_index": start_index, "end_index": end_index}


def file_citation(file_id: str, filename: str, index: int) -> Json:
    """A `file_citation` annotation placed at character `index`."""
    return {"type": "file_citation", "file_id": file_id, "filename": filename, "index": index}


def container_file_citation(
    container_id: str, file_id: str, filename: str, start_index: int = 0, end_index: int = 0
) -> Json:
    """A `container_file_citation`: a file the code interpreter wrote into its container."""
    return {
        "type": "container_file_citation",
        "container_id": container_id,
        "file_id": file_id,
        "filename": filename,
        "start_index": start_index,
        "end_index": end_index,
    }


def json_text(arguments: Json | str) -> str:
    """Tool-call arguments as the JSON string the API sends."""
    return arguments if isinstance(arguments, str) else json.dumps(arguments, separators=(",", ":"))


@dataclass(frozen=True)
class Message:
    """An assistant message streamed as output_text deltas, its annotations sent after the text."""

    text: str
    annotations: tuple[Json, ...] = ()
    deltas: int | None = None

    def __post_init__(self) -> None:
        check_deltas(self.text, self.deltas)
        for annotation in self.annotations:
            missing = [
                key for key in _ANNOTATION_FIELDS.get(annotation.get("type", ""), ("type",)) if key not in annotation
            ]
            if missing or annotation.get("type") not in _ANNOTATION_FIELDS:
                raise ValueError(f"annotation {annotation!r} lacks {missing or 'a known type'}")

    def pieces(self) -> list[str]:
        """The text deltas, in order; their concatenation is `text`."""
        return split_text(self.text, self.deltas)


@dataclass(frozen=True)
class Reasoning:
    """A reasoning item; its summary parts stream only when the request asks for summaries."""

    summary: tuple[str, ...] = ()
    tokens: int = 64


@dataclass(frozen=True)
class FunctionCall:
    """A call of one of the client's functions; the client answers with `function_call_output`."""

    name: str
    arguments: Json | str
    call_id: str | None = None


@dataclass(frozen=True)
class WebSearch:
    """A hosted web search; `sources` reach the item only with `include=["web_search_call.action.sources"]`.

    `action` "open_page" (a `url`) and "find_in_page" (a `url` and a `pattern`) carry no query, as the API sends them.
    """

    query: str = ""
    sources: tuple[str | Json, ...] = ()  # a URL, or a source as the API sends it (`{"type": "api", "name": ...}`)
    action: str = "search"
    url: str | None = None
    pattern: str | None = None

    def __post_init__(self) -> None:
        if self.action not in ("search", "open_page", "find_in_page"):
            raise ValueError(f"unknown web search action {self.action!r}")
        if self.action == "find_in_page" and not (self.url and self.pattern):
            raise ValueError("find_in_page needs a url and a pattern")


@dataclass(frozen=True)
class FileSearch:
    """A hosted file search; `results` ({file_id, filename, score, text}) only with `file_search_call.results`."""

    queries: tuple[str, ...]
    results: tuple[Json, ...] = ()


@dataclass(frozen=True)
class CodeInterpreter:
    """A code interpreter run; logs and image `files` (URLs) only with `code_interpreter_call.outputs`."""

    code: str
    logs: str = ""
    files: tuple[str, ...] = ()
    container_id: str = "cntr_fake0001"


@dataclass(frozen=True)
class ImageGeneration:
    """A generated image: `partials` partial_image events, then the final base64 `result`."""

    png_b64: str
    partials: int = 2
    revised_prompt: str | None = None
    size: str = "1024x1024"
    output_format: str = "png"  # png, webp or jpeg: what the request's tool asked for (the bytes are the test's)


@dataclass(frozen=True)
class McpListTools:
    """The tools a remote MCP server offers, each {name, input_schema, description}."""

    server_label: str
    tools: tuple[Json, ...] = ()


@dataclass(frozen=True)
class McpApprovalRequest:
    """A request for the user's approval before an MCP tool runs; the response ends with it."""

    server_label: str
    name: str
    arguments: Json | str


@dataclass(frozen=True)
class McpCall:
    """A remote MCP tool call; an `error` (text or the API's error object) makes it fail."""

    server_label: str
    name: str
    arguments: Json | str
    output: str | None = None
    error: str | Json | None = None


Output = (
    Message
    | Reasoning
    | FunctionCall
    | WebSearch
    | FileSearch
    | CodeInterpreter
    | ImageGeneration
    | McpListTools
    | McpApprovalRequest
    | McpCall
)
OUTPUT_KINDS = (
    Message,
    Reasoning,
    FunctionCall,
    WebSearch,
    FileSearch,
    CodeInterpreter,
    ImageGeneration,
    McpListTools,
    McpApprovalRequest,
    McpCall,
)
