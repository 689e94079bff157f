"""Draw turns: finished ones from the transcript, and the live one while it streams."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from lib.stream import Item, Turn
from lib.ui.live import LiveMarkdown

TOOL_LABELS = {
    "web_search_call": "Web search",
    "file_search_call": "File search",
    "code_interpreter_call": "Code interpreter",
    "image_generation_call": "Image generation",
    "mcp_call": "MCP tool",
    "mcp_list_tools": "MCP tools listed",
    "function_call": "Function",
}


def usage_line(turn: Turn) -> str:
    """Tokens (and timing) of a turn, in one short line."""
    parts = []
    if turn.usage:
        u = turn.usage
        parts.append(f"{u.input_tokens:,} in ({u.cached_tokens:,} cached)")
        parts.append(f"{u.output_tokens:,} out ({u.reasoning_tokens:,} reasoning)")
    if turn.cost_usd is not None:
        parts.append(f"${turn.cost_usd:,.4f}")
    if turn.latency_ms is not None:
        parts.append(f"{turn.latency_ms / 1000:.1f} s")
    return " · ".join(parts)


def render_user(prompt: str) -> None:
    """The user's message bubble; text shown as markdown without HTML."""
    with st.chat_message("user"):
        st.markdown(prompt)


def _tool_label(item: Item) -> str:
    name = item.data.get("name") or ""
    label = TOOL_LABELS.get(item.type, item.type.replace("_", " "))
    return f"{label} {name}".strip() + f": {item.status.replace('_', ' ')}"


def _render_tool(item: Item) -> None:
    state = "error" if item.status == "failed" else "complete" if item.status == "completed" else "running"
    with st.status(_tool_label(item), state=state, expanded=False):
        st.code(json.dumps(item.data, indent=2, default=str), language="json")


def _render_ending(turn: Turn) -> None:
    if turn.error and turn.status == "failed":
        st.error(turn.error, icon=":material/error:")
    elif turn.error:
        st.warning(turn.error, icon=":material/warning:")
    if line := usage_line(turn):
        st.caption(line)


def render_turn(turn: Turn) -> None:
    """A finished turn: the user's message, then every output item in order, then its ending."""
    render_user(turn.prompt)
    with st.chat_message("assistant"):
        for item in turn.items:
            if item.type == "message":
                if item.text:
                    st.markdown(item.text)
                if item.refusal:
                    st.warning(f"Refused: {item.refusal}")
            elif item.type == "reasoning":
                if any(item.summary):
                    with st.expander("Thinking", icon=":material/psychology:"):
                        st.markdown("\n\n".join(item.summary))
            else:
                _render_tool(item)
        _render_ending(turn)


class LiveTurn:
    """The assistant's bubble while it streams: one element per output item, redrawn in batches."""

    def __init__(self) -> None:
        self._bubble = st.chat_message("assistant")
        self._spinner = self._bubble.empty()
        self._spinner.caption("Thinking…")
        self._waiting = True
        self._views: dict[str, Any] = {}
        self._drawn_status: dict[str, str] = {}

    def update(self, turn: Turn, *, final: bool = False) -> None:
        """Draw what changed; text is paced by LiveMarkdown unless `final`."""
        if self._waiting and (turn.items or final):
            self._spinner.empty()
            self._waiting = False
        for item in turn.items:
            view = self._views.get(item.id)
            if view is None:
                view = self._views[item.id] = self._make_view(item)
            if item.type == "message":
                view.update(item.text, final=final)
            elif item.type == "reasoning":
                view.update("\n\n".join(item.summary), final=final)
            elif self._drawn_status.get(item.id) != item.status or final:
                self._drawn_status[item.id] = item.status
                with view.container():
                    _render_tool(item)
        if final:
            with self._bubble:
                for item in turn.items:
                    if item.refusal:
                        st.warning(f"Refused: {item.refusal}")
                _render_ending(turn)

    def _make_view(self, item: Item) -> Any:
        with self._bubble:
            if item.type == "message":
                return LiveMarkdown(st.container())
            if item.type == "reasoning":
                return LiveMarkdown(st.expander("Thinking", icon=":material/psychology:").container())
            return st.empty()
