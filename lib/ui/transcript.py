"""Draw turns: finished ones from the transcript, and the live one while it streams."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import streamlit as st

from lib.markup import escape_markdown, safe_link
from lib.settings import Settings
from lib.stream import Item, Turn
from lib.ui import context, feedback, state
from lib.ui.code_view import render_code
from lib.ui.live import LiveMarkdown
from lib.ui.text import markdown
from lib.ui.tool_cards import container_downloads, is_running, render_tool
from lib.usage_text import usage_line

if TYPE_CHECKING:  # branch_view draws its bubbles with render_user
    from lib.ui.branch_view import Controls

CONTINUE_PROMPT = "Your last answer was cut off. Please continue exactly where it stopped."
NOT_DRAWN = "This part of the answer could not be drawn; the rest is shown."

log = logging.getLogger(__name__)


def render_user(prompt: str, images: list[Any] | None = None, after: Callable[[], None] | None = None) -> None:
    """The user's message bubble; text shown as markdown that loads nothing by itself; `after` draws below it."""
    with st.chat_message("user"):
        st.markdown(markdown(prompt))
        if images:
            st.image(images, width=96)
        if after is not None:
            after()


def structured(text: str) -> Any:
    """The parsed JSON of a structured answer, or None when it is not JSON."""
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _rows(value: Any) -> list[dict[str, Any]] | None:
    """A list of objects inside a structured answer, to show as a table."""
    if isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return value
    return None


def render_citations(item: Item) -> None:
    """Numbered links for web sources; file names for file citations, under the answer."""
    urls: dict[str, str] = {}
    files: dict[str, str] = {}
    for note in item.annotations:
        if note.get("type") == "url_citation":
            urls.setdefault(note["url"], note.get("title") or note["url"])
        elif note.get("type") == "file_citation":
            files.setdefault(note.get("file_id", ""), note.get("filename") or note.get("file_id", ""))
    if urls:
        st.markdown("  \n".join(f"[{n}] {safe_link(title, url)}" for n, (url, title) in enumerate(urls.items(), 1)))
    if files:
        st.caption("Sources: " + ", ".join(escape_markdown(name) for name in files.values()))
    if any(note.get("type") == "container_file_citation" for note in item.annotations):
        container_downloads(item, context.page().client)  # this run's client: nothing resolved again


def render_message(item: Item, *, as_json: bool) -> None:
    """An assistant message: markdown (never HTML), or JSON and a table for structured output."""
    value = structured(item.text) if as_json else None
    if value is not None:
        st.json(value)
        if rows := _rows(value):
            st.dataframe(rows, hide_index=True)
    elif item.text:
        st.markdown(markdown(item.text))
    if item.refusal:
        st.warning(f"Refused: {escape_markdown(item.refusal)}")
    render_citations(item)


def _render_approval(item: Item, turn: Turn, interactive: bool) -> None:
    decision = next(
        (
            i.data.get("approve")
            for i in turn.items
            if i.type == "mcp_approval_response" and i.data.get("approval_request_id") == item.id
        ),
        None,
    )
    render_tool(item, decision=decision)
    if not interactive:
        return
    decisions = st.session_state.setdefault(state.APPROVALS, {})
    left, right, _ = st.columns([1, 1, 3])
    left.button(
        "Approve",
        key=f"approve_{item.id}",
        type="primary",
        icon=":material/check:",
        on_click=decisions.__setitem__,
        args=(item.id, True),
    )
    right.button(
        "Deny", key=f"deny_{item.id}", icon=":material/block:", on_click=decisions.__setitem__, args=(item.id, False)
    )


def _render_ending(turn: Turn, *, interactive: bool = False) -> None:
    if turn.status == "interrupted" and interactive:
        st.button(
            "Continue",
            icon=":material/play_arrow:",
            key="continue_turn",
            help="Ask the model to go on from where the answer was cut, in the same conversation.",
            on_click=st.session_state.__setitem__,
            args=(state.CONTINUE, True),
        )
    if turn.error and turn.status == "failed":
        st.error(turn.error, icon=":material/error:")
    elif turn.error:
        st.warning(turn.error, icon=":material/warning:")
    line = usage_line(turn.usage, turn.cost_usd, turn.latency_ms)
    if turn.retries:
        line += f" · retried {turn.retries} time{'s' if turn.retries > 1 else ''}"
    if line:
        st.caption(line.removeprefix(" · "))


def render_item(item: Item, turn: Turn, *, interactive: bool = False, ended: bool = False, draw: str = "") -> None:
    """One output item in its place in the answer; `ended`: the turn is over, nothing still runs."""
    if item.type == "message":
        render_message(item, as_json=turn.structured)
    elif item.type == "reasoning":
        if summary := "\n\n".join(item.summary).strip():
            with st.expander("Thinking", icon=":material/psychology:"):
                st.markdown(markdown(summary))
    elif item.type == "mcp_approval_request":
        _render_approval(item, turn, interactive and item.id in {i.id for i in _pending(turn)})
    elif item.type == "compaction":
        from lib.ui.context_view import render_compaction  # here: context_view imports budget, state, ...

        render_compaction(item)
    elif item.type != "mcp_approval_response":
        render_tool(item, ended=ended, draw=draw)


@contextmanager
def contained(what: Item | str) -> Iterator[None]:
    """Drawing one part that fails (say, image bytes that do not decode) leaves a note; the rest is still drawn."""
    try:
        yield
    except Exception:  # Streamlit's rerun and stop are BaseExceptions: they pass through
        log.exception("drawing %s failed", what if isinstance(what, str) else f"{what.type} item {what.id}")
        st.caption(NOT_DRAWN)


def _pending(turn: Turn) -> list[Item]:
    from lib.chat import pending_approvals

    return pending_approvals(turn)


def render_turn(
    turn: Turn, *, interactive: bool = False, current: Settings | None = None, controls: Controls | None = None
) -> None:
    """A finished turn: the user's message, every output item in order, its ending, and its code."""
    with contained("the user's message"):
        if controls is not None:
            controls.prompt(turn)
        else:
            render_user(turn.prompt, turn.images)
    with st.chat_message("assistant"):
        for item in turn.items:
            with contained(item):
                render_item(item, turn, interactive=interactive, ended=True)
        _render_ending(turn, interactive=interactive)
        if current is not None:
            render_code(turn, current)
            if turn.finished:
                feedback.rate(current, turn.response_id, where="chat")
        if controls is not None:
            with contained("the turn's controls"):
                controls.answer(turn)


class LiveTurn:
    """The assistant's bubble while it streams: one element per output item, redrawn in batches."""

    def __init__(self, current: Settings | None = None) -> None:
        self._current = current
        self._bubble = st.chat_message("assistant")
        self._status = self._bubble.empty()
        self._status.caption("Thinking…")
        self._started = time.monotonic()
        self._shown: str | None = "Thinking…"
        self._notice: str | None = None
        self._views: dict[str, Any] = {}
        self._drawn: dict[str, tuple[str, bool, dict[str, Any]]] = {}
        self._draws = 0  # a card drawn again in the same run needs new widget keys (Streamlit refuses repeats)

    @property
    def bubble(self) -> Any:
        """The assistant's bubble, for what is drawn under the answer once it is collected."""
        return self._bubble

    def _show_status(self, text: str | None) -> None:
        if text != self._shown:
            if text:
                self._status.caption(text)
            else:
                self._status.empty()
            self._shown = text

    def tick(self) -> None:
        """Nothing new arrived: show the time waited (this also lets Stop and reruns through)."""
        waited = int(time.monotonic() - self._started)
        self._show_status(self._notice or (f"Thinking… {waited} s" if not self._views else f"Working… {waited} s"))

    def update(self, turn: Turn, *, final: bool = False) -> None:
        """Draw what changed; text is paced by LiveMarkdown unless `final`."""
        self._notice = turn.notice
        self._show_status(None if final else turn.notice or (None if turn.items else self._shown))
        for item in turn.items:
            view = self._views.get(item.id)
            if view is None:
                view = self._views[item.id] = self._make_view(item)
            if item.type == "message":
                with self._bubble, contained(item):
                    view.update(item, final=final, as_json=turn.structured)
            elif item.type == "reasoning":
                with self._bubble, contained(item):
                    view.update("\n\n".join(item.summary), final=final)
            else:
                # The worker swaps in a new `data` as events arrive: judge and draw one snapshot of the card.
                shown = replace(item, status=item.status, data=item.data)
                running = is_running(shown)
                if self._stale(shown, cut_off := final and running):
                    self._drawn[item.id] = (shown.status, cut_off, shown.data)
                    self._draws += 1
                    with view.container(), contained(item):
                        render_item(shown, turn, ended=cut_off, draw=f"_live{self._draws}")
        if final:
            with self._bubble:
                _render_ending(turn)
                if self._current is not None:
                    render_code(turn, self._current)
                    if turn.finished:
                        feedback.rate(self._current, turn.response_id, where="chat")

    def _stale(self, item: Item, cut_off: bool) -> bool:
        """True when a tool card changed since it was drawn (the reducer replaces `data` on every change).

        An unchanged card is not drawn again (say, on the final update): that would only cost bytes.
        """
        status, was_cut_off, data = self._drawn.get(item.id, (None, False, None))
        return status != item.status or was_cut_off != cut_off or (data is not item.data and data != item.data)

    def _make_view(self, item: Item) -> Any:
        with self._bubble:
            if item.type == "message":
                return _LiveMessage()
            if item.type == "reasoning":
                return _LiveReasoning()
            return st.empty()


class _LiveReasoning:
    """A reasoning item's place: its "Thinking" expander opens once summary text arrives, as render_item has it."""

    def __init__(self) -> None:
        self._slot = st.empty()
        self._text: LiveMarkdown | None = None

    def update(self, summary: str, *, final: bool) -> None:
        if self._text is None:
            if not summary.strip():
                return  # most reasoning items carry no summary: an empty block would vanish on the next rerun
            self._text = LiveMarkdown(self._slot.expander("Thinking", icon=":material/psychology:").container())
        self._text.update(summary, final=final)


class _LiveMessage:
    """A streaming message; when final, its structured view, refusal and citations are drawn too."""

    def __init__(self) -> None:
        self._holder = st.empty()
        self._text = LiveMarkdown(self._holder.container())
        self._extras = st.empty()

    def update(self, item: Item, *, final: bool, as_json: bool) -> None:
        if final and as_json and structured(item.text) is not None:
            with self._holder.container():
                render_message(item, as_json=True)
            return
        self._text.update(item.text, final=final)
        if final and (item.refusal or item.annotations):
            with self._extras.container():
                if item.refusal:
                    st.warning(f"Refused: {escape_markdown(item.refusal)}")
                render_citations(item)
