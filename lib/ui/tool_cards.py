"""One `st.status` card per tool call: a label that says what happened, details inside."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import streamlit as st

from lib.registry import registry
from lib.stream import Item
from lib.ui.cards import CARDS

RUNNING = {"in_progress", "searching", "interpreting", "generating", "queued", "calling"}


def _running(item: Item) -> bool:
    return item.status in RUNNING


def tool_label(item: Item) -> str:
    """What the tool is doing or did, in words."""
    d, running = item.data, _running(item)
    name, server = d.get("name", ""), d.get("server_label", "")
    if item.type == "web_search_call":
        action = d.get("action") or {}
        if running:
            return "Searching the web…"
        sources = len(action.get("sources") or [])
        query = action.get("query") or "the web"
        return f"Searched the web: {query}" + (f" · {sources} sources" if sources else "")
    if item.type == "file_search_call":
        if running:
            return "Searching your files…"
        results = d.get("results")
        found = f" · {len(results)} results" if results is not None else ""
        return f"Searched your files: {', '.join(d.get('queries') or [])}{found}"
    if item.type == "code_interpreter_call":
        return "Running code…" if running else "Ran code"
    if item.type == "image_generation_call":
        return "Generating an image…" if running else "Generated an image"
    if item.type == "mcp_list_tools":
        return f"{server}: {len(d.get('tools') or [])} tools available"
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


def _state(item: Item) -> str:
    if item.status == "failed" or item.data.get("error"):
        return "error"
    return "running" if _running(item) or (item.type == "function_call" and "output" not in item.data) else "complete"


def _json(value: Any) -> None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            st.code(value)
            return
    st.json(value, expanded=2)


def _web_search(d: dict[str, Any]) -> None:
    for number, source in enumerate((d.get("action") or {}).get("sources") or [], start=1):
        url = source.get("url", "")
        st.markdown(f"{number}. {safe_link(url, url)}")


def _file_search(d: dict[str, Any]) -> None:
    if results := d.get("results"):
        st.dataframe(
            [{"file": r.get("filename"), "score": r.get("score"), "text": (r.get("text") or "")[:300]} for r in results],
            hide_index=True,
        )


def _code(d: dict[str, Any]) -> None:
    st.code(d.get("code") or "", language="python")
    for output in d.get("outputs") or []:
        if output.get("type") == "logs":
            st.code(output.get("logs", ""), language="text")
        elif output.get("type") == "image":
            st.image(output.get("url"))


def _mcp_tools(d: dict[str, Any]) -> None:
    for described in d.get("tools") or []:
        st.markdown(f"- `{escape_markdown(described.get('name', ''))}`: {escape_markdown(described.get('description') or '')}")


def _call(d: dict[str, Any]) -> None:
    st.caption("Arguments")
    _json(d.get("arguments") or "{}")
    if d.get("error"):
        st.error(str(d["error"]))
    elif d.get("output") is not None:
        st.caption("Result")
        _json(d["output"])


DETAILS: dict[str, Callable[[dict[str, Any]], None]] = {
    "web_search_call": _web_search,
    "file_search_call": _file_search,
    "code_interpreter_call": _code,
    "mcp_list_tools": _mcp_tools,
    "mcp_call": _call,
    "mcp_approval_request": _call,
    "function_call": _call,
}


def render_tool(item: Item) -> None:
    """The card for a tool call, and what it produced that belongs outside the card."""
    with st.status(tool_label(item), state=_state(item), expanded=item.type == "mcp_approval_request"):
        DETAILS.get(item.type, lambda d: st.json(d, expanded=False))(item.data)
    if item.type == "function_call" and (tool := registry().get(item.data.get("name", ""))) and tool.card:
        if isinstance(item.data.get("value"), dict) and not item.data.get("error"):
            CARDS[tool.card](item.data["value"])
    if item.type == "image_generation_call":
        _image(item)


def _image(item: Item) -> None:
    encoded = item.data.get("result") or item.data.get("partial_image_b64")
    if not encoded:
        return
    png = base64.b64decode(encoded)
    st.image(png, caption=None if item.data.get("result") else "Drawing…")
    if item.data.get("result"):
        st.download_button("Download image", png, file_name=f"{item.id}.png", mime="image/png",
                           key=f"download_{item.id}", icon=":material/download:")


def safe_link(title: str, url: str) -> str:
    """A markdown link for http(s) URLs only; anything else (javascript:, data:) is plain text."""
    if not url.lower().startswith(("https://", "http://")):
        return escape_markdown(title)
    return f"[{escape_markdown(title)}]({url.replace(' ', '%20').replace(')', '%29').replace('(', '%28')})"


def escape_markdown(text: str) -> str:
    """Markdown-escape text that comes from the model or the web."""
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>" else ch for ch in text)
