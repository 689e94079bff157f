"""Chat page glue: resume the thread named in the URL, and run one turn on screen."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import streamlit as st

from lib import chat
from lib.conversations import Thread, load_chain, load_conversation
from lib.errors import explain
from lib.settings import Settings
from lib.ui import state
from lib.stream import Turn
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


def send(current: Settings, prompt: str, parts: list[dict] | None = None, images: list | None = None) -> None:
    """Show the prompt, stream the answer, and keep both; on failure put the prompt back in the input."""
    render_user(prompt, images)
    turn = _stream(chat.run_turn(state.client(current), current, state.thread(), prompt, parts))
    if turn.status == "failed":
        st.session_state[state.RESTORE_PROMPT] = prompt
        st.rerun()


def take_decisions() -> dict[str, bool]:
    """MCP approval decisions clicked since the last run (each is sent once)."""
    return st.session_state.pop(APPROVALS, None) or {}


def answer_approvals(current: Settings, turn: Turn, decisions: dict[str, bool]) -> None:
    """Send the approval decisions and stream the rest of the same turn."""
    render_user(turn.prompt)
    _stream(chat.answer_approvals(state.client(current), current, state.thread(), turn, decisions))


def _stream(updates: Iterator[Turn]) -> Turn:
    """Draw a turn as it grows, then keep it; rerun when it waits for approval so the buttons appear."""
    live = LiveTurn()
    turn = None
    for turn in updates:
        live.update(turn)
    assert turn is not None
    live.update(turn, final=True)
    state.transcript().append(turn)
    if state.thread().url_params:
        st.query_params.from_dict(state.thread().url_params)
    if chat.pending_approvals(turn):
        st.rerun()
    return turn
