"""Chat page glue: resume what the URL names, start turns in their own thread, and follow them on screen."""

from __future__ import annotations

import time
from collections.abc import Iterator

import openai
import streamlit as st

from lib import chat
from lib.conversations import Thread, load_chain, load_conversation, title_from, user_text
from lib.errors import explain
from lib.history import records_for
from lib.jobs import TurnJob
from lib.settings import Settings
from lib.store import HistoryStore, StoreError
from lib.stream import Turn
from lib.ui import state
from lib.ui.transcript import APPROVALS, LiveTurn, render_user

TICK_SECONDS = 0.5  # how often a quiet stream still touches the page, so Stop and reruns get through


def resume_from_url(current: Settings) -> None:
    """If the URL names another conversation (or response chain), load it; pick up a pending answer."""
    params = st.query_params
    conversation_id, response_id = params.get("conversation"), params.get("response")
    thread = state.thread()
    if not conversation_id and not response_id:
        if thread.url_params:  # a refresh lost the URL but not the session: put it back
            st.query_params.from_dict(thread.url_params)
        return
    if (conversation_id or None, response_id or None) in {(thread.conversation_id, None), (None, thread.last_response_id)}:
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
    if pending := params.get("pending"):
        _resume_pending(current, resumed, turns, pending)


def _resume_pending(current: Settings, thread: Thread, turns: list[Turn], response_id: str) -> None:
    """A background answer was still being written when the page was left: follow it again."""
    client = state.client(current)
    try:
        prompt = next((user_text(i.model_dump()) for i in client.responses.input_items.list(response_id, order="asc")
                       if getattr(i, "role", None) == "user"), "")
    except openai.APIError:
        prompt = ""
    if turns and turns[-1].prompt == prompt and not turns[-1].items:
        turns.pop()  # the conversation already holds the prompt; the live turn shows it
    turn = Turn(prompt=prompt, model=current.model, response_id=response_id, response_ids=[response_id],
                status="in_progress", background=True)
    control = chat.TurnControl()
    _launch(current, thread, chat.resume_turn(client, current, thread, turn, control), control)


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


def send(current: Settings, prompt: str, parts: list[dict] | None = None) -> None:
    """Start a turn for the prompt, unless the conversation takes no more turns."""
    if blocked := closed_message(current):
        st.warning(blocked, icon=":material/lock:")
        st.button("Start a new chat", icon=":material/add_comment:", on_click=state.new_chat, key="closed_new_chat")
        st.session_state[state.RESTORE_PROMPT] = prompt
        return
    thread, control = state.thread(), chat.TurnControl()
    _launch(current, thread, chat.run_turn(state.client(current), current, thread, prompt, parts, control), control)


def take_decisions() -> dict[str, bool]:
    """MCP approval decisions clicked since the last run (each is sent once)."""
    return st.session_state.pop(APPROVALS, None) or {}


def answer_approvals(current: Settings, turn: Turn, decisions: dict[str, bool]) -> None:
    """Send the approval decisions; the same turn goes on."""
    thread, control = state.thread(), chat.TurnControl()
    updates = chat.answer_approvals(state.client(current), current, thread, turn, decisions, control)
    _launch(current, thread, updates, control)


def _launch(current: Settings, thread: Thread, updates: Iterator[Turn], control: chat.TurnControl) -> None:
    store, owner = state.history(current), state.owner(current)
    previous, first = thread.last_response_id, not state.transcript()

    def record(turn: Turn) -> str | None:
        return _record(store, owner, thread, turn, previous, first)

    st.session_state[state.JOB] = TurnJob(updates, control, record)


def follow() -> None:
    """Draw the running turn until it ends (Stop ends it early), then move it into the transcript."""
    job: TurnJob | None = st.session_state.get(state.JOB)
    if job is None:
        return
    while job.turn is None and not job.wait(0.01):
        pass
    render_user(job.turn.prompt)
    if not job.done and st.button("Stop", icon=":material/stop_circle:", key="stop_turn"):
        job.stop()
    live, seen, last_touch = LiveTurn(), -1, time.monotonic()
    while not job.done:
        if job.version != seen:
            seen = job.version
            live.update(job.turn)
            _mark_pending(job.turn)
        elif time.monotonic() - last_touch > TICK_SECONDS:
            live.tick()
            last_touch = time.monotonic()
        job.wait(0.03)
    live.update(job.turn, final=True)
    _collect(job)


def _mark_pending(turn: Turn) -> None:
    """Put a background answer's id in the URL, so a reload can pick it up."""
    params = dict(state.thread().url_params)
    if turn.background and turn.response_id:
        params["pending"] = turn.response_id
    if params and params != st.query_params.to_dict():
        st.query_params.from_dict(params)


def _collect(job: TurnJob) -> None:
    """Move the finished turn into the transcript; rerun where the next step needs a fresh page."""
    del st.session_state[state.JOB]
    turn = job.turn
    state.transcript().append(turn)
    st.query_params.from_dict(state.thread().url_params)
    if job.note:
        st.warning(job.note, icon=":material/history:")
    if turn.status == "failed":
        st.session_state[state.RESTORE_PROMPT] = turn.prompt
        st.rerun()
    if chat.pending_approvals(turn):
        st.rerun()


def _record(store: HistoryStore, owner: str, thread: Thread, turn: Turn, previous: str | None, first: bool) -> str | None:
    """Write the turn's responses to the history store (from the worker); a failure never costs the answer."""
    try:
        for record in records_for(turn, owner, thread.conversation_id, previous):
            store.record_response(record)
        if thread.conversation_id and first:
            store.upsert_conversation(thread.conversation_id, owner, title=title_from(turn.prompt))
    except StoreError as error:
        return f"This turn was not saved to the history: {error}"
    return None
