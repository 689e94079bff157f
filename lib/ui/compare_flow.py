"""Compare page glue: one prompt starts a turn per column, each in its own TurnJob, followed side by side."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import streamlit as st

from lib import budget, chat, turn_log
from lib.client import client_key
from lib.compare import COMPARE_TAG, Column
from lib.jobs import TurnJob
from lib.settings import Settings
from lib.store import StoreError
from lib.stream import Turn
from lib.turn_records import record_turn
from lib.ui import budget as budget_view
from lib.ui import context, session, state, store_owners
from lib.ui.transcript import LiveTurn, contained, render_user

JOBS = "compare_jobs"  # {column index: TurnJob} of the answers being written
TICK_SECONDS = 0.5  # a quiet column still touches the page this often, so Stop and reruns get through


def running() -> dict[int, TurnJob]:
    """The jobs of the answers being written, by column index."""
    return st.session_state.setdefault(JOBS, {})


def send(prompt: str, columns: list[Column], chosen: list[Settings]) -> bool:
    """Start the prompt in every column at once; False (and why, on the page) when none was started.

    All or nothing: each column is one more turn on the key, so the spending cap reserves each column's
    worst case; if one is refused, the reservations already made are given back and nothing is sent.
    """
    if running():
        st.toast("The last answers are still being written: send again when they are done, or press Stop.")
        return False
    scoped = [store_owners.scoped(s) for s in chosen]  # only this session's vector stores, whatever set them
    tabs: list[budget.Tab | None] = []
    for number, (column, settings) in enumerate(zip(columns, scoped, strict=True), start=1):
        tab, refusal = budget_view.admit(context.with_settings(settings), prompt, column.turns)
        if refusal:
            for earlier, earlier_settings in zip(tabs, scoped, strict=False):  # the tabs so far
                budget.settle(earlier, Turn(prompt=prompt, model=earlier_settings.model))  # nothing was sent
            st.warning(f"Column {number}: {refusal}", icon=":material/savings:")
            return False
        tabs.append(tab)
    for index, (column, settings, tab) in enumerate(zip(columns, scoped, tabs, strict=True)):
        _start(index, column, budget_view.limited(settings), prompt, tab)
    return True


def _start(index: int, column: Column, settings: Settings, prompt: str, tab: budget.Tab | None) -> None:
    """One column's turn, on that column's own thread, in its own worker (the chat's turn code)."""
    store, who = state.history(settings), state.identity(settings)
    thread, previous = column.thread, column.thread.last_response_id
    if not thread.conversation_id and client_key(settings) in st.session_state.get(state.CHAINED, set()):
        thread.chained = True  # found out earlier: no Conversations API on this endpoint
    control = chat.TurnControl(owner_hash=turn_log.owner_hash(who.owner))

    def record(turn: Turn) -> str | None:
        # In the worker, when the turn ends, as the chat does: the cost is counted even if the tab closed.
        notes = [
            budget.settle(tab, turn),
            _record(store, who.owner, turn, thread.conversation_id, previous) if who.durable else None,
        ]
        return " ".join(n for n in notes if n) or None

    column.settings = settings
    updates = chat.run_turn(state.client(settings), settings, thread, prompt, None, control)
    running()[index] = TurnJob(updates, control, record, alive=session.alive_check())


def _record(store, owner: str, turn: Turn, conversation_id: str | None, previous: str | None) -> str | None:
    """Write the column's responses to History, tagged as a compare run; a failure never costs the answer."""
    try:
        record_turn(store, owner, turn, conversation_id, previous, tag=COMPARE_TAG)
    except StoreError as error:
        return f"This answer was not saved to the history: {error}"
    return None


def follow(columns: list[Column], slots: list, actions: Callable[[int, Column], None]) -> None:
    """Draw every running column's answer side by side until all have ended, then keep them in their columns.

    `slots` are the page's columns; `actions(index, column)` draws a column's buttons once its answer is in.
    """
    jobs = running()
    if not jobs:
        return
    for job in jobs.values():
        while job.turn is None and not job.wait(0.01):
            pass
    lives: dict[int, LiveTurn] = {}
    below: dict[int, st.delta_generator.DeltaGenerator] = {}
    for index, job in jobs.items():
        with slots[index]:
            with contained("the user's message"):
                render_user(job.turn.prompt if job.turn else "")
            lives[index] = LiveTurn(columns[index].settings)
            below[index] = st.container()
    stop_slot = st.empty()
    if stop_slot.button("Stop all", icon=":material/stop_circle:", key="compare_stop"):
        for job in jobs.values():
            job.stop()
    seen = dict.fromkeys(jobs, -1)
    ended: set[int] = set()
    last_touch = time.monotonic()
    while len(ended) < len(jobs):
        for index, job in jobs.items():
            if index in ended or job.turn is None:
                continue
            if job.done:
                lives[index].update(job.turn, final=True)
                ended.add(index)
            elif job.version != seen[index]:
                seen[index] = job.version
                lives[index].update(job.turn)
        if time.monotonic() - last_touch > TICK_SECONDS:
            for index in set(jobs) - ended:
                lives[index].tick()
            last_touch = time.monotonic()
        if len(ended) < len(jobs):
            next(j for i, j in jobs.items() if i not in ended).wait(0.03)
    stop_slot.empty()
    _collect(columns, jobs)
    for index in jobs:
        with below[index]:
            actions(index, columns[index])


def _collect(columns: list[Column], jobs: dict[int, TurnJob]) -> None:
    """Move every finished answer into its column; say what a worker had to say (e.g. not saved)."""
    st.session_state.pop(JOBS, None)
    for index, job in jobs.items():
        column = columns[index]
        if job.turn is not None:
            column.turns.append(job.turn)
        if column.thread.chained and column.settings is not None:
            st.session_state.setdefault(state.CHAINED, set()).add(client_key(column.settings))
        if job.note:
            st.warning(f"Column {index + 1}: {job.note}", icon=":material/history:")


def continue_in_chat(column: Column) -> None:
    """Open the column's conversation in the Chat page, with the column's settings as the chat's."""
    state.new_chat()  # an answer the chat was writing goes on in its worker and is recorded
    thread = replace(column.thread, unsent=list(column.thread.unsent))
    st.session_state[state.THREAD] = thread
    st.session_state[state.TRANSCRIPT] = list(column.turns)
    if column.settings is not None:
        ran = column.settings
        state.session_settings().update(
            model=ran.model,
            reasoning_effort=ran.reasoning_effort,
            temperature=ran.temperature,
            instructions=ran.instructions,
            tools=ran.tools,
            options=ran.options,
        )
    st.switch_page(state.CHAT_PAGE, query_params=thread.url_params)
