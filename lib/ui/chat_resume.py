"""Reopen the chat a URL names, if this session may open it, and follow an answer it left pending."""

from __future__ import annotations

import openai
import streamlit as st
from openai.types.responses import Response

from lib import chat, turn_log
from lib.access import NOT_YOURS
from lib.conversations import Thread, holds, load_chain, load_conversation, user_text
from lib.errors import explain
from lib.store import StoreError
from lib.stream import Turn
from lib.ui import budget as budget_view
from lib.ui import gate, state
from lib.ui.chat_flow import launch
from lib.ui.context import Page


def resume_from_url(page: Page) -> None:
    """If the URL names another conversation (or response chain), load it; pick up a pending answer."""
    current = page.settings
    params = st.query_params
    conversation_id, response_id = params.get("conversation"), params.get("response")
    thread = state.thread()
    if not conversation_id and not response_id:
        if thread.url_params:  # a refresh lost the URL but not the session: put it back
            st.query_params.from_dict(thread.url_params)
        return
    shown = {(thread.conversation_id, None), (None, thread.last_response_id)}
    if (conversation_id or None, response_id or None) in shown:  # the chat on screen already
        return
    if not _may_open(page, conversation_id, response_id):
        state.new_chat()
        st.error(NOT_YOURS, icon=":material/lock:")
        return
    client = page.client
    try:
        if conversation_id:
            turns = load_conversation(client, conversation_id)
            resumed = Thread(conversation_id=conversation_id)
        else:
            assert response_id  # one of the two is named, or this returned above
            turns = load_chain(client, response_id)
            resumed = Thread(last_response_id=response_id, chained=True)
    except openai.APIError as error:
        state.new_chat()
        st.error(f"Could not reopen that chat. {explain(error, model=current.model, endpoint=current.endpoint)}")
        return
    st.session_state[state.THREAD] = resumed
    st.session_state[state.TRANSCRIPT] = turns
    if pending := params.get("pending"):
        response = _pending_of(page, resumed, pending)  # ownership first: nothing else looks at it before
        if response is None:  # someone else's answer named in this URL: show nothing of it, follow nothing
            st.query_params.from_dict(resumed.url_params)
            st.error(NOT_YOURS, icon=":material/lock:")
        elif holds(turns, response):  # it ended while the page was away: the reopened chat shows it already
            st.query_params.from_dict(resumed.url_params)
        else:
            _resume_pending(page, resumed, turns, pending)


def _may_open(page: Page, conversation_id: str | None, response_id: str | None) -> bool:
    """A shared link opens only for the owner the history store recorded it under."""
    store, owner = page.store, page.owner
    try:
        if conversation_id:
            known = store.conversation(owner, conversation_id)
        else:
            known = store.response(owner, response_id) if response_id else None
    except StoreError:
        known = None
    return gate.can_open(page, owner if known else None)


def _pending_of(page: Page, thread: Thread, response_id: str) -> Response | None:
    """The pending response if it belongs to the thread just opened (whose owner `_may_open` checked)."""
    # In a conversation the API says which one a response was created in; in a chain it continues the
    # opened response, or our history recorded it for this owner.
    try:
        response = page.client.responses.retrieve(response_id)
    except openai.APIError:
        return None
    if thread.conversation_id:
        ours = response.conversation is not None and response.conversation.id == thread.conversation_id
    elif thread.last_response_id and response.previous_response_id == thread.last_response_id:
        ours = True
    else:
        try:
            ours = page.store.response(page.owner, response_id) is not None
        except StoreError:
            ours = False
    return response if ours else None


def _resume_pending(page: Page, thread: Thread, turns: list[Turn], response_id: str) -> None:
    """A background answer was still being written when the page was left: follow it again."""
    current, client = page.settings, page.client
    try:
        prompt = next(
            (
                user_text(i.model_dump())
                for i in client.responses.input_items.list(response_id, order="asc")
                if getattr(i, "role", None) == "user"
            ),
            "",
        )
    except openai.APIError:
        prompt = ""
    if turns and turns[-1].prompt == prompt and not turns[-1].items:
        turns.pop()  # the conversation already holds the prompt; the live turn shows it
    turn = Turn(
        prompt=prompt,
        model=current.model,
        response_id=response_id,
        response_ids=[response_id],
        status="in_progress",
        background=True,
    )
    control = chat.TurnControl(owner_hash=turn_log.owner_hash(page.owner))
    try:  # already running on the server: nothing to refuse, but its cost still counts when it ends
        tab = budget_view.open_tab(page, reserve=False)
    except StoreError:
        tab = None
    launch(page, current, thread, chat.resume_turn(client, current, thread, turn, control), control, tab)
