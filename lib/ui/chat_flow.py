"""Chat page glue: resume the thread named in the URL, and run one turn on screen."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import streamlit as st

from lib import chat
from lib.conversations import Thread, load_chain, load_conversation, title_from
from lib.errors import explain
from lib.history import records_for
from lib.settings import Settings
from lib.store import StoreError
from lib.stream import Turn
from lib.ui import state
from lib.ui.transcript import APPROVALS, LiveTurn, render_user


def resume_from_url(current: Settings) -> None:
    """If the URL names another conversation (or response chain), load its transcript."""
    params = st.query_params
    conversation_id, response_id = params.get("conversation"), params.get("response")
    thread = state.thread()
    if not conversation_id and not response_id:
        if thread.url_params:  # a refresh lost the URL but not the session: put it back
            st.query_params.from_dict(thread.url_params)
        return
    if (conversation_id or None, response_id or None) in {
        (thread.conversation_id, None),
        (None, thread.last_response_id),
    }:
        return
    client = state.client(current)
    try:
        if conversation_id:
            turns = load_conversation(client, conversation_id)
            resumed = Thread(conversation_id=conversation_id)
        else:
            turns = load_chain(client, response_id)
            resumed = Thread(last_response_id=response_id, chained=True)
    except openai.APIError as error:
        state.new_chat()
        st.error(f"Could not reopen that chat. {explain(error, model=current.model, endpoint=current.endpoint)}")
        return
    st.session_state[state.THREAD] = resumed
    st.session_state[state.TRANSCRIPT] = turns


def closed_message(current: Settings) -> str | None:
    """Why the current conversation cannot take a new turn (expired or closed), if it cannot."""
    conversation_id = state.thread().conversation_id
    if not conversation_id:
        return None
    try:
        row = state.history(current).conversation(state.owner(current), conversation_id)
    except StoreError:
        return None
    if row and row["status"] in {"expired", "closed"}:
        why = "expired after a while without use" if row["status"] == "expired" else "was closed"
        return f"This conversation {why}, so it takes no new messages. Start a new chat to go on."
    return None


def send(current: Settings, prompt: str, parts: list[dict] | None = None, images: list | None = None) -> None:
    """Show the prompt, stream the answer, and keep both; on failure put the prompt back in the input."""
    if blocked := closed_message(current):
        st.warning(blocked, icon=":material/lock:")
        st.button("Start a new chat", icon=":material/add_comment:", on_click=state.new_chat, key="closed_new_chat")
        st.session_state[state.RESTORE_PROMPT] = prompt
        return
    render_user(prompt, images)
    thread = state.thread()
    turn = _stream(current, thread, chat.run_turn(state.client(current), current, thread, prompt, parts))
    if turn.status == "failed":
        st.session_state[state.RESTORE_PROMPT] = prompt
        st.rerun()


def take_decisions() -> dict[str, bool]:
    """MCP approval decisions clicked since the last run (each is sent once)."""
    return st.session_state.pop(APPROVALS, None) or {}


def answer_approvals(current: Settings, turn: Turn, decisions: dict[str, bool]) -> None:
    """Send the approval decisions and stream the rest of the same turn."""
    render_user(turn.prompt)
    thread = state.thread()
    _stream(current, thread, chat.answer_approvals(state.client(current), current, thread, turn, decisions))


def _stream(current: Settings, thread: Thread, updates: Iterator[Turn]) -> Turn:
    """Draw a turn as it grows, keep it and record it; rerun when it waits for approval so the buttons appear."""
    previous = thread.last_response_id
    live = LiveTurn()
    turn = None
    for turn in updates:
        live.update(turn)
    assert turn is not None
    live.update(turn, final=True)
    state.transcript().append(turn)
    _record(current, thread, turn, previous)
    if thread.url_params:
        st.query_params.from_dict(thread.url_params)
    if chat.pending_approvals(turn):
        st.rerun()
    return turn


def _record(current: Settings, thread: Thread, turn: Turn, previous: str | None) -> None:
    """Write the turn's responses to the history store; a store failure never costs the answer."""
    owner = state.owner(current)
    store = state.history(current)
    try:
        for record in records_for(turn, owner, thread.conversation_id, previous):
            store.record_response(record)
        if thread.conversation_id and len(state.transcript()) == 1:
            store.upsert_conversation(thread.conversation_id, owner, title=title_from(turn.prompt))
    except StoreError as error:
        st.warning(str(error), icon=":material/history:")
