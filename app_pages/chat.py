"""Chat: the transcript, and a streamed answer to each prompt."""

from __future__ import annotations

import streamlit as st

from lib.attachments import chat_file_types
from lib.capabilities import NO_CONVERSATIONS
from lib.markup import code_span, plain
from lib.ui import branch_view, chat_flow, chat_follow, chat_resume, context, context_view, prompt_form, state
from lib.ui.transcript import render_turn
from lib.urls import mask_url

page = context.ready()
state.show_flash()  # e.g. Setup's "Settings saved."
page, template = prompt_form.apply(page)  # a template's variables, filled in above
current = page.settings

chat_resume.resume_from_url(page)
chat_flow.restore_prompt()
submitted = st.chat_input(
    f"Message {current.model}", key=state.CHAT_INPUT, accept_file="multiple", file_type=chat_file_types()
)
# Edit or Regenerate clicked: the transcript now ends before that turn, the thread is the new branch's.
branched = None if submitted else branch_view.take_request(current, collect=chat_follow.collect_finished)
step = chat_flow.plan(branched.prompt if branched else submitted)
if step.intro:
    st.title("Responses Studio")
    st.caption(
        f"Chatting with {code_span(current.model)} at {plain(mask_url(current.endpoint))}. "
        "Your conversation is kept on the server."
    )
if state.thread().chained:
    st.caption(NO_CONVERSATIONS)
first = chat_flow.first_shown(len(step.turns))
controls = branch_view.controls(enabled=step.continuing is None)
for number, turn in enumerate(step.turns[first:], start=first + 1):
    render_turn(turn, interactive=number == len(step.turns) and step.interactive, current=current, controls=controls)
if step.continuing is not None:
    chat_flow.answer_approvals(page, step.continuing, step.decisions)
elif step.prompt:  # a branch re-sends a message as it was sent: its template is filled in already
    sent = step.prompt if branched else prompt_form.fill(template, step.prompt)
    chat_flow.send(page, sent, parts=branched.parts if branched else None)
    branch_view.settle(current, branched)
chat_follow.follow(page)
chat_flow.offer_indexing(page)
chat_flow.show_closed(page)
context_view.render_context(current)
context_view.render_count(current)
