"""Chat page glue: resume what the URL names, start turns in their own thread, and follow them on screen."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import openai
import streamlit as st
from openai.types.responses import Response

from lib import budget, chat, turn_log
from lib.conversations import Thread, holds, load_chain, load_conversation, user_text
from lib.access import NOT_YOURS
from lib.attachments import ChatFile, prepare
from lib.client import client_key
from lib.errors import explain
from lib.files import Upload, upload_files, vision_uploader
from lib.history import closed_reason, record_turn
from lib.jobs import TurnJob
from lib.ownership import split
from lib.markup import plain
from lib.settings import Settings
from lib.store import HistoryStore, StoreError
from lib.stream import Turn
from lib.ui import budget as budget_view
from lib.ui import branch_view, gate, session, state, store_owners
from lib.ui.transcript import LiveTurn, contained, render_user

RECENT_TURNS = 20  # drawn on every rerun; earlier ones on request, so a long chat stays quick
TICK_SECONDS = 0.5  # how often a quiet stream still touches the page, so Stop and reruns get through
FINISHING_SECONDS = 3.0  # a prompt waits this long for an answer that has ended and is only being saved


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
    if not _may_open(current, conversation_id, response_id):
        state.new_chat()
        st.error(NOT_YOURS, icon=":material/lock:")
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
        response = _pending_of(current, resumed, pending)  # ownership first: nothing else looks at it before
        if response is None:  # someone else's answer named in this URL: show nothing of it, follow nothing
            st.query_params.from_dict(resumed.url_params)
            st.error(NOT_YOURS, icon=":material/lock:")
        elif holds(turns, response):  # it ended while the page was away: the reopened chat shows it already
            st.query_params.from_dict(resumed.url_params)
        else:
            _resume_pending(current, resumed, turns, pending)


def _may_open(current: Settings, conversation_id: str | None, response_id: str | None) -> bool:
    """A shared link opens only for the owner the history store recorded it under."""
    store, owner = state.history(current), state.owner(current)
    try:
        known = store.conversation(owner, conversation_id) if conversation_id else store.response(owner, response_id)
    except StoreError:
        known = None
    return gate.can_open(owner if known else None)


def _pending_of(current: Settings, thread: Thread, response_id: str) -> Response | None:
    """The pending response if it belongs to the thread just opened (whose owner `_may_open` checked)."""
    # In a conversation the API says which one a response was created in; in a chain it continues the
    # opened response, or our history recorded it for this owner.
    try:
        response = state.client(current).responses.retrieve(response_id)
    except openai.APIError:
        return None
    if thread.conversation_id:
        ours = response.conversation is not None and response.conversation.id == thread.conversation_id
    elif thread.last_response_id and response.previous_response_id == thread.last_response_id:
        ours = True
    else:
        try:
            ours = state.history(current).response(state.owner(current), response_id) is not None
        except StoreError:
            ours = False
    return response if ours else None


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
    control = chat.TurnControl(owner_hash=turn_log.owner_hash(state.owner(current)))
    try:  # already running on the server: nothing to refuse, but its cost still counts when it ends
        tab = budget_view.open_tab(current, reserve=False)
    except StoreError:
        tab = None
    _launch(current, thread, chat.resume_turn(client, current, thread, turn, control), control, tab)


def first_shown(count: int) -> int:
    """Index of the first turn to draw; a button above offers the earlier ones."""
    if st.session_state.get(state.SHOW_ALL) or count <= RECENT_TURNS:
        return 0
    hidden = count - RECENT_TURNS
    st.button(f"Show {hidden} earlier turn{'s' if hidden > 1 else ''}", icon=":material/expand_less:",
              type="tertiary", on_click=st.session_state.__setitem__, args=(state.SHOW_ALL, True))
    return hidden


def closed_message(current: Settings) -> str | None:
    """Why the current conversation cannot take a new turn (expired or closed), if it cannot."""
    try:
        return closed_reason(state.history(current), state.owner(current), state.thread().conversation_id)
    except StoreError:
        return None


def show_closed(current: Settings) -> None:
    """Say so when the conversation takes no more turns, with a way on."""
    if blocked := closed_message(current):
        st.warning(blocked, icon=":material/lock:")
        st.button("Start a new chat", icon=":material/add_comment:", on_click=state.new_chat, key="closed_new_chat")


def send(current: Settings, submitted: Any, parts: list[dict[str, Any]] | None = None) -> None:
    """Start a turn for what was submitted (text and files), unless the conversation takes no more turns.

    `parts`: attachments already on the server (a regenerated prompt's), sent again as they were.
    """
    prompt = getattr(submitted, "text", submitted) or ""
    if refusal := budget_view.refusal(current, prompt):  # before anything is sent, files included
        st.warning(refusal, icon=":material/savings:")
        st.session_state[state.RESTORE_PROMPT] = prompt
        return
    if closed_message(current):  # the page says why; keep what was typed
        st.session_state[state.RESTORE_PROMPT] = prompt
        st.rerun()
    current = store_owners.scoped(current)  # whatever set them, only this session's vector stores are sent
    client = state.client(current)
    files = [ChatFile.of(f) for f in getattr(submitted, "files", None) or []]
    prepared = prepare(prompt, files, upload_image=vision_uploader(client))
    for file, reason in prepared.refused:
        st.warning(f"{plain(file.name)} was not sent: {reason}", icon=":material/block:")
    if prepared.to_index:
        st.session_state[state.TO_INDEX] = prepared.to_index
    if not prompt and not prepared.has_media:
        return
    extra = [part for part in prepared.parts if part["type"] != "input_text"] + (parts or [])
    tab, refusal = budget_view.admit(current, prompt)
    if refusal:
        st.warning(refusal, icon=":material/savings:")
        st.session_state[state.RESTORE_PROMPT] = prompt
        return
    current = budget_view.limited(current)
    thread, control = state.thread(), chat.TurnControl(owner_hash=turn_log.owner_hash(state.owner(current)))
    chained_clients = st.session_state.setdefault(state.CHAINED, set())
    if not thread.conversation_id and client_key(current) in chained_clients:
        thread.chained = True  # found out on an earlier chat: no Conversations API here
    updates = chat.run_turn(client, current, thread, prompt, extra, control)
    _launch(current, thread, _with_images(updates, [f.data for f in prepared.images]), control, tab)


def _with_images(updates: Iterator[Turn], images: list[bytes]) -> Iterator[Turn]:
    for turn in updates:
        turn.images = images
        yield turn


def offer_indexing(current: Settings) -> None:
    """Documents dropped into the chat: one click indexes them into the active vector store."""
    documents = st.session_state.get(state.TO_INDEX)
    if not documents:
        return
    names = ", ".join(plain(d.name) for d in documents)
    stores: tuple[str, ...] = ()
    if current.tools.file_search:  # the first of this session's own stores, never one set by someone else
        stores = split(current.tools.vector_store_ids, store_owners.owned_ids(current))[0]
    with st.container(border=True):
        if not stores:
            st.info(f"{names}: the model cannot read these directly. Pick a vector store on the Files page "
                    "(\"Use in chat\") to index them for file search.", icon=":material/description:")
        elif st.button(f"Index {names} into the active vector store for file search", icon=":material/upload_file:"):
            rows = upload_files(state.client(current), stores[0], [Upload(d.name, d.data) for d in documents])
            failed = [r for r in rows if r.status == "failed"]
            st.session_state.pop(state.TO_INDEX)
            st.toast(f"Indexing {len(rows) - len(failed)} file(s); see the Files page for their status.")
            for row in failed:
                st.warning(f"{plain(row.name)}: {plain(row.error)}")
        if st.button("Dismiss", key="dismiss_index"):
            st.session_state.pop(state.TO_INDEX, None)
            st.rerun()


def take_decisions() -> dict[str, bool]:
    """MCP approval decisions clicked since the last run (each is sent once)."""
    return st.session_state.pop(state.APPROVALS, None) or {}


def answer_approvals(current: Settings, turn: Turn, decisions: dict[str, bool]) -> None:
    """Send the approval decisions; the same turn goes on."""
    current = store_owners.scoped(current)
    thread, control = state.thread(), chat.TurnControl(owner_hash=turn_log.owner_hash(state.owner(current)))
    tab, refusal = budget_view.admit(current)  # a new request on the key: admitted like a new turn
    if refusal:
        st.warning(refusal, icon=":material/savings:")
        return
    current = budget_view.limited(current)
    updates = chat.answer_approvals(state.client(current), current, thread, turn, decisions, control)
    _launch(current, thread, updates, control, tab)


def _launch(current: Settings, thread: Thread, updates: Iterator[Turn], control: chat.TurnControl,
            tab: budget.Tab | None = None) -> None:
    store, who = state.history(current), state.identity(current)
    previous = thread.last_response_id

    def record(turn: Turn) -> str | None:
        # In the worker, when the turn ends: New chat, a closed tab or a rerun cannot skip the count.
        # Nobody to keep the turn for (an anonymous visitor): the History page says so.
        notes = [budget.settle(tab, turn), _record(store, who.owner, thread, turn, previous) if who.durable else None]
        return " ".join(n for n in notes if n) or None

    st.session_state[state.JOB] = TurnJob(updates, control, record, alive=session.alive_check())


def follow(current: Settings) -> None:
    """Draw the running turn until it ends (Stop ends it early), then move it into the transcript."""
    job: TurnJob | None = st.session_state.get(state.JOB)
    if job is None:
        return
    while job.turn is None and not job.wait(0.01):
        pass
    drawn = None
    try:
        drawn = _draw(current, job)
    finally:  # whatever drawing did, a finished job is collected: a job left behind refuses every prompt
        if job.done and st.session_state.get(state.JOB) is job:
            _collect(job)
            if drawn is not None:  # the turn is in the transcript now: its Edit, Regenerate and Fork
                branch_view.draw_collected(*drawn)


def _draw(current: Settings, job: TurnJob) -> tuple[Turn | None, Any, Any]:
    slot: list[Any] = []
    with contained("the user's message"):
        render_user(job.turn.prompt, job.turn.images, after=lambda: slot.append(st.empty()))
    stop_slot = st.empty()
    if not job.done and stop_slot.button("Stop", icon=":material/stop_circle:", key="stop_turn"):
        job.stop()
    live, seen, last_touch = LiveTurn(current), -1, time.monotonic()
    while not job.done:
        if job.version != seen:
            seen = job.version
            live.update(job.turn)
            _mark_pending(job.turn)
        elif time.monotonic() - last_touch > TICK_SECONDS:
            live.tick()
            last_touch = time.monotonic()
        job.wait(0.03)
    stop_slot.empty()
    live.update(job.turn, final=True)
    return job.turn, (slot[0] if slot else None), live.bubble


def _mark_pending(turn: Turn) -> None:
    """Put a background answer's id in the URL, so a reload can pick it up."""
    params = dict(state.thread().url_params)
    if turn.background and turn.response_id:
        params["pending"] = turn.response_id
    if params and params != st.query_params.to_dict():
        st.query_params.from_dict(params)


def collect_finished() -> None:
    """A prompt arrived: an answer that has ended (or only has its history to save) is collected first, then sent.

    The run that drew it may have been cut short by this very prompt, before it could collect it.
    """
    job: TurnJob | None = st.session_state.get(state.JOB)
    if job is None:
        return
    turn = job.turn
    if not job.done and turn is not None and turn.finished and not chat.pending_calls(turn, turn.response_id):
        job.wait(FINISHING_SECONDS)
    if job.done:
        _collect(job, quiet=True)


def _collect(job: TurnJob, *, quiet: bool = False) -> None:
    """Move the finished turn into the transcript; rerun where the next step needs a fresh page.

    `quiet`: a new prompt is about to be sent in this run, so no rerun and no prompt put back.
    """
    del st.session_state[state.JOB]
    turn = job.turn
    state.transcript().append(turn)
    if state.thread().chained:
        st.session_state.setdefault(state.CHAINED, set()).add(client_key(state.settings()))
    st.query_params.from_dict(state.thread().url_params)
    if job.note:
        st.warning(job.note, icon=":material/history:")
    if quiet:
        return
    if turn.status == "failed":
        st.session_state.setdefault(state.RESTORE_PROMPT, turn.prompt)  # a prompt held back meanwhile is newer
    # A rerun puts a held-back prompt into the input: the chat input of this run is drawn already.
    if state.RESTORE_PROMPT in st.session_state or chat.pending_approvals(turn):
        st.rerun()


def _record(store: HistoryStore, owner: str, thread: Thread, turn: Turn, previous: str | None) -> str | None:
    """Write the turn's responses to the history store (from the worker); a failure never costs the answer."""
    try:
        record_turn(store, owner, turn, thread.conversation_id, previous)
    except StoreError as error:
        return f"This turn was not saved to the history: {error}"
    return None
