"""One `st.status` card per tool call: a label that says what happened, details inside."""

from __future__ import annotations

import base64
import functools
import json
import mimetypes
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import urlsplit

import streamlit as st
from openai import OpenAI

from lib.markup import code_span, escape_markdown, image_link, plain, safe_link, scheme_of
from lib.registry import registry
from lib.stream import Item
from lib.ui.cards import CARDS
from lib.ui.text import image_hosts

RUNNING = {"in_progress", "searching", "interpreting", "generating", "queued", "calling"}


def _running(item: Item) -> bool:
    # Azure ends an image call with its result but still says "generating" (a recorded stream, tests/replay).
    finished_image = item.type == "image_generation_call" and bool(item.data.get("result"))
    return item.status in RUNNING and not finished_image


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def tool_label(item: Item) -> str:
    """What the tool is doing or did, in words."""
    d, running = item.data, _running(item)
    name, server = d.get("name", ""), d.get("server_label", "")
    if item.type == "web_search_call":
        action = d.get("action") or {}
        if running:
            return "Searching the web…"
        if action.get("type") == "open_page":
            return f"Opened {page_name(action.get('url'))}"
        if action.get("type") == "find_in_page":
            pattern = str(action.get("pattern") or "")
            return f"Searched for “{pattern}” in {page_name(action.get('url'))}"
        sources = len(action.get("sources") or [])
        query = action.get("query") or "the web"
        return f"Searched the web: {query}" + (f" · {_count(sources, 'source')}" if sources else "")
    if item.type == "file_search_call":
        if running:
            return "Searching your files…"
        results = d.get("results")
        found = f" · {_count(len(results), 'result')}" if results is not None else ""
        return f"Searched your files: {', '.join(d.get('queries') or [])}{found}"
    if item.type == "code_interpreter_call":
        return "Running code…" if running else "Ran code"
    if item.type == "image_generation_call":
        return "Generating an image…" if running else "Generated an image"
    if item.type == "mcp_list_tools":
        return f"{server}: {_count(len(d.get('tools') or []), 'tool')} available"
    if item.type == "mcp_approval_request":
        return f"{server} asks to run {name}"
    if item.type == "mcp_call":
        verb = "Calling" if running else "Failed to call" if item.status == "failed" or d.get("error") else "Called"
        return f"{verb} {name} on {server}" + ("…" if running else "")
    if item.type == "function_call":
        if item.status == "failed":
            return f"{name} failed"
        return f"Calling {name}…" if "output" not in d else f"Called {name}"
    return f"{item.type.replace('_', ' ')}: {item.status.replace('_', ' ')}"


def page_name(url: Any, limit: int = 60) -> str:
    """A page as a reader knows it: host and path, shortened (no scheme, query or link); render_tool escapes labels."""
    if not url:
        return "a page"
    parts = urlsplit(str(url))
    name = (parts.netloc.removeprefix("www.") + parts.path).rstrip("/") or str(url)
    return name if len(name) <= limit else name[: limit - 1] + "…"


def is_running(item: Item) -> bool:
    """True while the call is under way (a function call until its output is in)."""
    return _running(item) or (item.type == "function_call" and "output" not in item.data)


def _state(item: Item) -> Literal["running", "complete", "error"]:
    if item.status == "failed" or item.data.get("error"):
        return "error"
    return "running" if is_running(item) else "complete"


def _json(where: Any, value: Any) -> None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            where.code(value, language="text")
            return
    where.json(value, expanded=2)


def _web_search(where: Any, d: dict[str, Any]) -> None:
    for number, source in enumerate((d.get("action") or {}).get("sources") or [], start=1):
        url = source.get("url") or ""
        # Sources of type "api" (the API's own weather, sports or finance data) have a name and no URL.
        where.markdown(f"{number}. {safe_link(url, url) if url else escape_markdown(str(source.get('name') or ''))}")


def _file_search(where: Any, d: dict[str, Any]) -> None:
    if results := d.get("results"):
        where.dataframe(
            [
                {"file": r.get("filename"), "score": r.get("score"), "text": (r.get("text") or "")[:300]}
                for r in results
            ],
            hide_index=True,
        )


def _code(where: Any, d: dict[str, Any]) -> None:
    where.code(d.get("code") or "", language="python")
    for output in d.get("outputs") or []:
        if output.get("type") == "logs":
            where.code(output.get("logs", ""), language="text")
        elif output.get("type") == "image":
            _output_image(where, str(output.get("url") or ""))


def _output_image(where: Any, url: str) -> None:
    """A code output's image: data:image/ drawn, http(s) as a link with its host, nothing else opened."""
    # st.image opens any other string as a file on this server (the API could send "/etc/passwd").
    if url.strip().lower().startswith("data:image/"):
        where.image(url.strip())
    elif scheme_of(url) in {"http", "https"}:
        where.markdown(image_link("code output", url, image_hosts()))
    else:
        where.caption("An image output whose location is not a web address was not opened.")


def _mcp_tools(where: Any, d: dict[str, Any]) -> None:
    for described in d.get("tools") or []:
        about = described.get("description")
        where.markdown(f"- {code_span(described.get('name', ''))}" + (f": {escape_markdown(about)}" if about else ""))


def error_text(error: Any) -> str:
    """A call's error as words: function errors are text, MCP errors an object with text content."""
    if isinstance(error, dict):
        texts = [c.get("text", "") for c in error.get("content") or [] if isinstance(c, dict)]
        return " ".join(t for t in texts if t) or error.get("message") or json.dumps(error)
    return str(error)


def _call(where: Any, d: dict[str, Any]) -> None:
    where.caption("Arguments")
    _json(where, d.get("arguments") or "{}")
    if d.get("error"):
        where.error(escape_markdown(error_text(d["error"])))
    elif d.get("output") is not None:
        where.caption("Result")
        _json(where, d["output"])


def _raw(where: Any, d: dict[str, Any]) -> None:
    where.json(d, expanded=False)


DETAILS: dict[str, Callable[[Any, dict[str, Any]], None]] = {
    "web_search_call": _web_search,
    "file_search_call": _file_search,
    "code_interpreter_call": _code,
    "mcp_list_tools": _mcp_tools,
    "mcp_call": _call,
    "mcp_approval_request": _call,
    "function_call": _call,
}


def render_tool(item: Item, *, ended: bool = False, decision: bool | None = None, draw: str = "") -> None:
    """The card for a tool call, and what it produced that belongs outside the card.

    `ended`: the turn is over, so a call still marked running was cut off and is shown so.
    `decision`: the user's answer to an MCP approval request, once given (the card then folds away).
    """
    label, state = tool_label(item), _state(item)
    if ended and state == "running":
        label, state = f"{label.removesuffix('…')} (did not finish)", "error"
    if decision is not None:
        label = (
            f"{'Approved' if decision else 'Denied'}: {item.data.get('name', '')} "
            f"on {item.data.get('server_label', '')}"
        )
    waiting = item.type == "mcp_approval_request" and decision is None
    card = st.status(plain(label), state=state, expanded=waiting)  # labels are markdown: names are not
    # Filled without `with card:`: leaving that block marks a running card complete (after a 50 ms sleep).
    DETAILS.get(item.type, _raw)(card, item.data)
    if item.type == "function_call" and (tool := registry().get(item.data.get("name", ""))) and tool.card:
        if isinstance(item.data.get("value"), dict) and not item.data.get("error"):
            CARDS[tool.card](item.data["value"])
    if item.type == "image_generation_call":
        _image(item, ended=ended, draw=draw)


def _image(item: Item, *, ended: bool, draw: str = "") -> None:
    encoded = item.data.get("result") or item.data.get("partial_image_b64")
    if not encoded:
        return
    png = base64.b64decode(encoded)
    draft = "A draft: the image did not finish" if ended else "Drawing…"
    st.image(png, caption=None if item.data.get("result") else draft)
    if item.data.get("result"):
        extension, mime = image_type(png, item.data.get("output_format"))
        st.download_button(
            "Download image",
            png,
            file_name=f"{item.id}.{extension}",
            mime=mime,
            key=f"download_{item.id}{draw}",
            icon=":material/download:",
            on_click="ignore",
        )


_IMAGE_TYPES = {
    "png": ("png", "image/png"),
    "jpeg": ("jpg", "image/jpeg"),
    "jpg": ("jpg", "image/jpeg"),
    "webp": ("webp", "image/webp"),
    "gif": ("gif", "image/gif"),
}


def image_type(data: bytes, output_format: Any = None) -> tuple[str, str]:
    """(file extension, MIME type) of a generated image: what its bytes are, else what the item says, else PNG."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _IMAGE_TYPES["png"]
    if data.startswith(b"\xff\xd8\xff"):
        return _IMAGE_TYPES["jpeg"]
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _IMAGE_TYPES["webp"]
    if data.startswith((b"GIF87a", b"GIF89a")):
        return _IMAGE_TYPES["gif"]
    return _IMAGE_TYPES.get(str(output_format or "").lower(), _IMAGE_TYPES["png"])


def container_file(client: OpenAI, container_id: str, file_id: str) -> bytes:
    """The content of a file the code interpreter wrote into its container."""
    return client.containers.files.content.retrieve(file_id, container_id=container_id).read()


def container_downloads(item: Item, client: OpenAI) -> None:
    """A download button per container file the answer cites; the file is fetched only when clicked."""
    cited = {
        (n.get("container_id", ""), n.get("file_id", "")): n.get("filename") or n.get("file_id", "")
        for n in item.annotations
        if n.get("type") == "container_file_citation"
    }
    for (container_id, file_id), name in cited.items():
        # A callable makes the download deferred: no request until the click, and none on reruns.
        st.download_button(
            f"Download {plain(name)}",
            functools.partial(container_file, client, container_id, file_id),
            file_name=name,
            mime=mimetypes.guess_type(name)[0] or "application/octet-stream",
            key=f"download_{item.id}_{file_id}",
            icon=":material/download:",
            on_click="ignore",
        )
