"""Chat: the transcript, and a streamed answer to each prompt."""

from __future__ import annotations

import streamlit as st

from lib.attachments import chat_file_types
from lib.capabilities import NO_CONVERSATIONS
from lib.markup import code_span, plain
from lib.ui import branch_view, chat_flow, state
from lib.ui.transcript import CONTINUE_PROMPT, render_turn
from lib.urls import mask_url

current = state.ready_settings()

chat_flow.resume_from_url(current)
if (restored := st.session_state.pop(state.RESTORE_PROMPT, None)) and not st.session_state.get(state.CHAT_INPUT):
    st.session_state[state.CHAT_INPUT] = restored  # never over a prompt just sent: setting the input drops it

prompt = st.chat_input(f"Message {current.model}", key=state.CHAT_INPUT, accept_file="multiple",
                       file_type=chat_file_types())
if st.session_state.pop(state.CONTINUE, False) and not prompt:
    prompt = CONTINUE_PROMPT
# Edit or Regenerate clicked: the transcript now ends before that turn, the thread is the new branch's.
branched = None if prompt else branch_view.take_request(current, collect=chat_flow.collect_finished)
prompt = branched.prompt if branched else prompt
if prompt:
    chat_flow.collect_finished()
busy = state.JOB in st.session_state
if prompt and busy:
    st.session_state[state.RESTORE_PROMPT] = getattr(prompt, "text", prompt)
    st.toast("The last answer is still being written: your message is back in the input. Send it when the "
             "answer is done, or press Stop.")
    prompt = None
decisions = chat_flow.take_decisions()
turns = state.transcript()
continuing = turns.pop() if decisions and turns and not busy else None
if not turns and not prompt and not continuing and not busy:
    st.title("Responses Studio")
    st.caption(f"Chatting with {code_span(current.model)} at {plain(mask_url(current.endpoint))}. "
               "Your conversation is kept on the server.")
if state.thread().chained:
    st.caption(NO_CONVERSATIONS)
first = chat_flow.first_shown(len(turns))
controls = branch_view.controls(enabled=not continuing)
for number, turn in enumerate(turns[first:], start=first + 1):
    render_turn(turn, interactive=number == len(turns) and not (prompt or busy), current=current, controls=controls)
if continuing:
    chat_flow.answer_approvals(current, continuing, decisions)
elif prompt:
    chat_flow.send(current, prompt, parts=branched.parts if branched else None)
    branch_view.settle(current, branched)
chat_flow.follow(current)
chat_flow.offer_indexing(current)
chat_flow.show_closed(current)
