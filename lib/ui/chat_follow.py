"""Follow a running turn on screen (Stop included), and collect it into the transcript when it ends."""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from lib import chat
from lib.client import client_key
from lib.jobs import TurnJob
from lib.settings import Settings
from lib.stream import Turn
from lib.ui import branch_view, state
from lib.ui.context import Page
from lib.ui.transcript import LiveTurn, contained, render_user

TICK_SECONDS = 0.5  # how often a quiet stream still touches the page, so Stop and reruns get through
FINISHING_SECONDS = 3.0  # a prompt waits this long for an answer that has ended and is only being saved


def follow(page: Page) -> None:
    """Draw the running turn until it ends (Stop ends it early), then move it into the transcript."""
    running: TurnJob | None = st.session_state.get(state.JOB)
    if running is None:
        return
    job = running
    while job.turn is None and not job.wait(0.01):
        pass
    drawn = None
    try:
        if job.turn is not None:  # a worker that failed before its first update leaves nothing to draw
            drawn = _draw(page.settings, job, job.turn)
    finally:  # whatever drawing did, a finished job is collected: a job left behind refuses every prompt
        if job.done and st.session_state.get(state.JOB) is job:
            _collect(job)
            if drawn is not None:  # the turn is in the transcript now: its Edit, Regenerate and Fork
                branch_view.draw_collected(*drawn)


def _draw(current: Settings, job: TurnJob, turn: Turn) -> tuple[Turn, Any, Any]:
    """Redraw `turn` (the job's; the worker grows it in place) as it changes, until the job is done; return
    it with the slot under the user's bubble and the answer's bubble, for the controls drawn once collected."""
    slot: list[Any] = []
    with contained("the user's message"):
        render_user(turn.prompt, turn.images, after=lambda: slot.append(st.empty()))
    stop_slot = st.empty()
    if not job.done and stop_slot.button("Stop", icon=":material/stop_circle:", key="stop_turn"):
        job.stop()
    live, seen, last_touch = LiveTurn(current), -1, time.monotonic()
    while not job.done:
        if job.version != seen:
            seen = job.version
            live.update(job.turn or turn)
            _mark_pending(job.turn or turn)
        elif time.monotonic() - last_touch > TICK_SECONDS:
            live.tick()
            last_touch = time.monotonic()
        job.wait(0.03)
    stop_slot.empty()
    live.update(job.turn or turn, final=True)
    return job.turn or turn, (slot[0] if slot else None), live.bubble


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
    if turn is None:  # the worker failed before its first update: nothing to move into the transcript
        return
    state.transcript().append(turn)
    if state.thread().chained and job.settings is not None:  # the endpoint the turn ran on, whatever is set now
        st.session_state.setdefault(state.CHAINED, set()).add(client_key(job.settings))
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
