"""Chat page glue: plan the run, start turns in their own thread, offer what comes with them (indexing, closing)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import streamlit as st

from lib import budget, chat, chat_plan, turn_log
from lib.attachments import ChatFile, prepare
from lib.client import client_key
from lib.conversations import Thread
from lib.files import Upload, upload_files, vision_uploader
from lib.jobs import TurnJob
from lib.markup import plain
from lib.ownership import split
from lib.settings import Settings
from lib.store import HistoryStore, StoreError
from lib.stream import Turn
from lib.turn_records import closed_reason, record_turn
from lib.ui import budget as budget_view
from lib.ui import session, state, store_owners
from lib.ui.chat_follow import collect_finished
from lib.ui.context import Page
from lib.ui.transcript import CONTINUE_PROMPT

RECENT_TURNS = 20  # drawn on every rerun; earlier ones on request, so a long chat stays quick


def restore_prompt() -> None:
    """Put a prompt held back by the last run into the chat input (call before drawing the input)."""
    if (restored := st.session_state.pop(state.RESTORE_PROMPT, None)) and not st.session_state.get(state.CHAT_INPUT):
        st.session_state[state.CHAT_INPUT] = restored  # never over a prompt just sent: setting the input drops it


def plan(submitted: Any) -> chat_plan.Plan:
    """This run's plan (lib.chat_plan.plan) over what was sent, Continue, a finished answer and approvals.

    Collects an answer that ended before planning, puts a prompt sent too early back into the input, and takes
    the continued turn out of the transcript (it comes back when collected).
    """
    prompt = submitted
    if st.session_state.pop(state.CONTINUE, False) and not prompt:
        prompt = CONTINUE_PROMPT
    if prompt:
        collect_finished()
    step = chat_plan.plan(
        prompt, busy=state.JOB in st.session_state, decisions=take_decisions(), turns=state.transcript()
    )
    if step.held_back is not None:
        st.session_state[state.RESTORE_PROMPT] = step.held_back
        st.toast(
            "The last answer is still being written: your message is back in the input. Send it when the "
            "answer is done, or press Stop."
        )
    if step.continuing is not None:
        state.transcript().pop()
    return step


def take_decisions() -> dict[str, bool]:
    """MCP approval decisions clicked since the last run (each is sent once)."""
    return st.session_state.pop(state.APPROVALS, None) or {}


def first_shown(count: int) -> int:
    """Index of the first turn to draw; a button above offers the earlier ones."""
    if st.session_state.get(state.SHOW_ALL) or count <= RECENT_TURNS:
        return 0
    hidden = count - RECENT_TURNS
    st.button(
        f"Show {hidden} earlier turn{'s' if hidden > 1 else ''}",
        icon=":material/expand_less:",
        type="tertiary",
        on_click=st.session_state.__setitem__,
        args=(state.SHOW_ALL, True),
    )
    return hidden


def closed_message(page: Page) -> str | None:
    """Why the current conversation cannot take a new turn (expired or closed), if it cannot."""
    try:
        return closed_reason(page.store, page.owner, state.thread().conversation_id)
    except StoreError:
        return None


def show_closed(page: Page) -> None:
    """Say so when the conversation takes no more turns, with a way on."""
    if blocked := closed_message(page):
        st.warning(blocked, icon=":material/lock:")
        st.button("Start a new chat", icon=":material/add_comment:", on_click=state.new_chat, key="closed_new_chat")


def send(page: Page, submitted: Any, parts: list[dict[str, Any]] | None = None) -> None:
    """Start a turn for what was submitted (text and files), unless the conversation takes no more turns.

    `parts`: attachments already on the server (a regenerated prompt's), sent again as they were.
    """
    prompt = getattr(submitted, "text", submitted) or ""
    if refusal := budget_view.refusal(page, prompt):  # before anything is sent, files included
        st.warning(refusal, icon=":material/savings:")
        st.session_state[state.RESTORE_PROMPT] = prompt
        return
    if closed_message(page):  # the page says why; keep what was typed
        st.session_state[state.RESTORE_PROMPT] = prompt
        st.rerun()
    current = store_owners.scoped(page.settings)  # whatever set them, only this session's vector stores are sent
    client = page.client  # scoping changes the tools, never the endpoint or key
    files = [ChatFile.of(f) for f in getattr(submitted, "files", None) or []]
    prepared = prepare(prompt, files, upload_image=vision_uploader(client))
    for file, reason in prepared.refused:
        st.warning(f"{plain(file.name)} was not sent: {reason}", icon=":material/block:")
    if prepared.to_index:
        st.session_state[state.TO_INDEX] = prepared.to_index
    if not prompt and not prepared.has_media:
        return
    extra = [part for part in prepared.parts if part["type"] != "input_text"] + (parts or [])
    tab, refusal = budget_view.admit(page, prompt)
    if refusal:
        st.warning(refusal, icon=":material/savings:")
        st.session_state[state.RESTORE_PROMPT] = prompt
        return
    current = budget_view.limited(current)
    thread, control = state.thread(), chat.TurnControl(owner_hash=turn_log.owner_hash(page.owner))
    chained_clients = st.session_state.setdefault(state.CHAINED, set())
    if not thread.conversation_id and client_key(current) in chained_clients:
        thread.chained = True  # found out on an earlier chat: no Conversations API here
    updates = chat.run_turn(client, current, thread, prompt, extra, control)
    launch(page, current, thread, _with_images(updates, [f.data for f in prepared.images]), control, tab)


def _with_images(updates: Iterator[Turn], images: list[bytes]) -> Iterator[Turn]:
    for turn in updates:
        turn.images = images
        yield turn


def answer_approvals(page: Page, turn: Turn, decisions: dict[str, bool]) -> None:
    """Send the approval decisions; the same turn goes on."""
    current = store_owners.scoped(page.settings)
    thread, control = state.thread(), chat.TurnControl(owner_hash=turn_log.owner_hash(page.owner))
    tab, refusal = budget_view.admit(page)  # a new request on the key: admitted like a new turn
    if refusal:
        st.warning(refusal, icon=":material/savings:")
        return
    current = budget_view.limited(current)
    updates = chat.answer_approvals(page.client, current, thread, turn, decisions, control)
    launch(page, current, thread, updates, control, tab)


def launch(
    page: Page,
    current: Settings,
    thread: Thread,
    updates: Iterator[Turn],
    control: chat.TurnControl,
    tab: budget.Tab | None = None,
) -> None:
    """Hand the turn to its own thread; `current`: the settings it runs with (scoped, limited)."""
    store, who = page.store, page.identity
    previous = thread.last_response_id

    def record(turn: Turn) -> str | None:
        # In the worker, when the turn ends: New chat, a closed tab or a rerun cannot skip the count.
        # Nobody to keep the turn for (an anonymous visitor): the History page says so.
        notes = [budget.settle(tab, turn), _record(store, who.owner, thread, turn, previous) if who.durable else None]
        return " ".join(n for n in notes if n) or None

    st.session_state[state.JOB] = TurnJob(updates, control, record, alive=session.alive_check(), settings=current)


def _record(store: HistoryStore, owner: str, thread: Thread, turn: Turn, previous: str | None) -> str | None:
    """Write the turn's responses to the history store (from the worker); a failure never costs the answer."""
    try:
        record_turn(store, owner, turn, thread.conversation_id, previous)
    except StoreError as error:
        return f"This turn was not saved to the history: {error}"
    return None


def offer_indexing(page: Page) -> None:
    """Documents dropped into the chat: one click indexes them into the active vector store."""
    current = page.settings
    documents = st.session_state.get(state.TO_INDEX)
    if not documents:
        return
    names = ", ".join(plain(d.name) for d in documents)
    stores: tuple[str, ...] = ()
    if current.tools.file_search:  # the first of this session's own stores, never one set by someone else
        stores = split(current.tools.vector_store_ids, store_owners.owned_ids(current))[0]
    with st.container(border=True):
        if not stores:
            st.info(
                f"{names}: the model cannot read these directly. Pick a vector store on the Files page "
                '("Use in chat") to index them for file search.',
                icon=":material/description:",
            )
        elif st.button(f"Index {names} into the active vector store for file search", icon=":material/upload_file:"):
            rows = upload_files(page.client, stores[0], [Upload(d.name, d.data) for d in documents])
            failed = [r for r in rows if r.status == "failed"]
            st.session_state.pop(state.TO_INDEX)
            st.toast(f"Indexing {len(rows) - len(failed)} file(s); see the Files page for their status.")
            for row in failed:
                st.warning(f"{plain(row.name)}: {plain(row.error)}")
        if st.button("Dismiss", key="dismiss_index"):
            st.session_state.pop(state.TO_INDEX, None)
            st.rerun()
