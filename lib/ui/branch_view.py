"""Edit, Regenerate, Fork and the ‹ 1/2 › switch on chat turns: the widgets over lib.branches and lib.forking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import openai
import streamlit as st

from lib.access import NOT_YOURS
from lib.branches import Tree
from lib.conversations import Thread, load_conversation, title_from
from lib.errors import explain
from lib.forking import Copy, chain_prompt_parts, copy_until
from lib.settings import Settings
from lib.store import StoreError
from lib.stream import Turn
from lib.ui import context, gate, state
from lib.ui.transcript import render_user

TREE = "branch_tree"  # Tree: every version of every turn of this chat
EDITING = "branch_editing"  # the id of the turn whose message is open in the editor
REQUEST = "branch_request"  # (kind, turn id, text) clicked, carried out at the top of the next run
NOTE = "branch_note"  # what a branch or fork could not carry over, shown once

EMPTY_EDIT = "Type a message to send, or press Cancel."
BUSY = "The last answer is still being written: try again when it is done, or press Stop."


@dataclass(frozen=True)
class Branched:
    """A prompt to send as a new version of a turn: the transcript and thread are already the branch's."""

    prompt: str
    parts: list[dict[str, Any]] = field(default_factory=list)  # the original prompt's attachments, resent


def tree() -> Tree:
    """This chat's tree of turns (a new chat, or one reopened from its URL, starts a new one)."""
    return st.session_state.setdefault(TREE, Tree())


class Controls:
    """What each turn shows besides itself: Edit and the version switch, Regenerate and Fork."""

    def __init__(self, chat: Tree, *, enabled: bool) -> None:
        self._tree, self._enabled = chat, enabled

    def prompt(self, turn: Turn) -> None:
        """The user's bubble with its controls, or the editor in its place while it is edited."""
        if self._enabled and st.session_state.get(EDITING) == turn.id:
            _editor(turn)
        else:
            render_user(turn.prompt, turn.images, after=lambda: self.prompt_row(turn))

    def prompt_row(self, turn: Turn) -> None:
        """Edit, and the ‹ n/m › switch when the turn has other versions."""
        if turn.id not in self._tree.nodes:
            return
        number, count = self._tree.versions(turn.id)
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            st.button(
                "Edit",
                key=f"branch_edit_{turn.id}",
                icon=":material/edit:",
                type="tertiary",
                disabled=not self._enabled,
                help="Change this message and send it as a new version; the earlier version stays one click away.",
                on_click=st.session_state.__setitem__,
                args=(EDITING, turn.id),
            )
            if count > 1:
                st.button(
                    "‹",
                    key=f"branch_prev_{turn.id}",
                    type="tertiary",
                    help="Previous version",
                    disabled=not self._enabled or number == 1,
                    on_click=_switch,
                    args=(turn.id, -1),
                )
                st.caption(f"{number}/{count}", width="content")
                st.button(
                    "›",
                    key=f"branch_next_{turn.id}",
                    type="tertiary",
                    help="Next version",
                    disabled=not self._enabled or number == count,
                    on_click=_switch,
                    args=(turn.id, 1),
                )

    def answer(self, turn: Turn) -> None:
        """Regenerate and Fork under an answer."""
        if turn.id not in self._tree.nodes:
            return
        with st.container(horizontal=True, gap="small"):
            st.button(
                "Regenerate",
                key=f"branch_regenerate_{turn.id}",
                icon=":material/refresh:",
                type="tertiary",
                disabled=not self._enabled,
                help="The same message again, for a new answer; this one stays as the other version.",
                on_click=_request,
                args=("regenerate", turn.id, turn.prompt),
            )
            st.button(
                "Fork",
                key=f"branch_fork_{turn.id}",
                icon=":material/call_split:",
                type="tertiary",
                disabled=not self._enabled,
                help="A new chat holding this conversation up to here; this one stays as it is.",
                on_click=_request,
                args=("fork", turn.id, ""),
            )


def controls(*, enabled: bool) -> Controls:
    """Take in the transcript (new turns follow the one before them), and the controls drawn on each turn."""
    chat = tree()
    chat.learn(state.transcript(), state.thread().conversation_id)
    if note := st.session_state.pop(NOTE, None):
        st.info(note, icon=":material/call_split:")
    return Controls(chat, enabled=enabled)


def draw_collected(turn: Turn | None, prompt_slot: Any, bubble: Any) -> None:
    """The controls of a turn just collected, in the places its live drawing left: no rerun needed."""
    if turn is None:
        return
    drawn = controls(enabled=True)
    if prompt_slot is not None:
        with prompt_slot.container():
            drawn.prompt_row(turn)
    with bubble:
        drawn.answer(turn)


def _editor(turn: Turn) -> None:
    key = f"branch_text_{turn.id}"
    with st.chat_message("user"):
        st.text_area("Edit your message", value=turn.prompt, key=key, label_visibility="collapsed")
        with st.container(horizontal=True, gap="small"):
            st.button(
                "Send",
                key=f"branch_send_{turn.id}",
                type="primary",
                icon=":material/send:",
                on_click=_send_edit,
                args=(turn.id, key),
            )
            st.button("Cancel", key=f"branch_cancel_{turn.id}", on_click=st.session_state.pop, args=(EDITING, None))


def _send_edit(turn_id: str, key: str) -> None:
    text = (st.session_state.get(key) or "").strip()
    if not text:
        st.toast(EMPTY_EDIT)
        return
    st.session_state.pop(EDITING, None)
    _request("edit", turn_id, text)


def _request(kind: str, turn_id: str, text: str) -> None:
    st.session_state[REQUEST] = (kind, turn_id, text)


def _switch(turn_id: str, step: int) -> None:
    """Show another version of a turn; the transcript follows that version's branch, and so does the next turn."""
    if state.JOB in st.session_state:  # the answer being written belongs to this branch's transcript
        st.toast(BUSY)
        return
    chat = tree()
    path = chat.switch(turn_id, step)
    st.session_state[state.TRANSCRIPT] = path
    st.session_state[state.THREAD] = thread = chat.thread(path)
    st.query_params.from_dict(thread.url_params)


def _may_copy(current: Settings, conversation_id: str) -> bool:
    """Only a conversation of this chat, and in shared mode only one the store records for this owner."""
    if conversation_id not in tree().conversations():
        return False
    if current.mode != "shared" or not state.identity(current).durable:
        return True  # a visitor kept nowhere has only the conversations this session made or opened
    owner = state.owner(current)
    try:
        known = state.history(current).conversation(owner, conversation_id)
    except StoreError:
        known = None
    return gate.can_open(context.with_settings(current), owner if known else None)


def take_request(current: Settings, collect: Callable[[], None]) -> Branched | None:
    """Carry out an Edit, Regenerate or Fork clicked in the last run; a prompt to send for the first two.

    `collect` moves an answer that has ended into the transcript first; one still being written refuses it.
    """
    request = st.session_state.pop(REQUEST, None)
    chat = tree()
    if request is None or request[1] not in chat.nodes:
        return None
    collect()
    if state.JOB in st.session_state:
        st.toast(BUSY)
        return None
    chat.learn(state.transcript(), state.thread().conversation_id)  # an answer collected just now included
    kind, turn_id, text = request
    path = chat.path()
    at = next((n for n, turn in enumerate(path) if turn.id == turn_id), None)
    if at is None:
        return None
    keep = at + 1 if kind == "fork" else at  # a fork holds the turn itself; a new version comes after the one before
    conversation_id = chat.conversation_of(turn_id)
    thread, copied = chat.thread(path[:keep]), None
    title = path[0].prompt if keep else text  # the chat's first message names it, as on a new chat
    if conversation_id:
        if not _may_copy(current, conversation_id):
            st.error(NOT_YOURS, icon=":material/lock:")
            return None
        try:
            # The prompts, not a count: a turn that failed before any response is not in the conversation.
            copied = copy_until(
                state.client(current),
                conversation_id,
                [t.prompt for t in path[:keep]],
                title,
                next_prompt=path[at].prompt,
            )
        except (openai.APIError, ValueError) as error:
            why = explain(error, model=current.model) if isinstance(error, openai.APIError) else str(error)
            st.error(f"Could not make the new conversation. {why}", icon=":material/error:")
            return None
        thread = Thread(conversation_id=copied.conversation_id)
        parent_response = next((t.response_id for t in reversed(path[:keep]) if t.response_id), None)
        _record_parent(current, copied.conversation_id, title, conversation_id, parent_response)
        if copied.note:
            st.session_state[NOTE] = copied.note
    if kind == "fork":
        _open_fork(current, thread, path[:keep])
        return None
    answered = next(iter(path[at].response_ids), path[at].response_id)  # the turn's first response
    if copied is None and kind == "regenerate" and answered:
        try:  # a chain: the prompt's attachments are in the input items of the response that answered it
            copied = Copy("", None, chain_prompt_parts(state.client(current), answered, text))
        except openai.APIError:
            st.warning("The message's attachments could not be read again; it is sent as text.")
    st.session_state[state.TRANSCRIPT] = chat.branch_at(turn_id)
    st.session_state[state.THREAD] = thread
    parts = copied.next_parts if copied is not None and kind == "regenerate" else []
    return Branched(text, parts)


def settle(current: Settings, branched: Branched | None) -> None:
    """A branch whose prompt was not sent (the spending cap refused it): the chat goes back to where it was.

    The conversation copied for it holds none of this chat's turns: it is deleted, here and on the API.
    """
    if branched is None or state.JOB in st.session_state:
        return
    made, chat = state.thread().conversation_id, tree()
    path = st.session_state[state.TRANSCRIPT] = chat.restore()
    st.session_state[state.THREAD] = thread = chat.thread(path)
    st.query_params.from_dict(thread.url_params)
    if made and made not in chat.conversations():
        try:
            state.client(current).conversations.delete(made)
            state.history(current).delete_conversation(state.owner(current), made)
        except (openai.APIError, StoreError):
            pass  # an empty conversation left behind costs nothing


def _record_parent(current: Settings, conversation_id: str, title: str, parent: str, response_id: str | None) -> None:
    if not state.identity(current).durable:
        return
    try:
        state.history(current).upsert_conversation(
            conversation_id,
            state.owner(current),
            title=title_from(title),
            model=current.model,
            parent_conversation_id=parent,
            parent_response_id=response_id,
        )
    except StoreError as error:
        st.warning(f"The new conversation was not saved to the history: {error}", icon=":material/history:")


def _open_fork(current: Settings, thread: Thread, turns: list[Turn]) -> None:
    """The fork as a new chat with its own URL; the original chat is unchanged (and one click back)."""
    if thread.conversation_id:
        try:
            turns = load_conversation(state.client(current), thread.conversation_id)
        except openai.APIError as error:
            st.warning(f"Forked, but could not show it. {explain(error, model=current.model)}")
    else:
        # A chain forks by itself: its next response continues from this one, and the old chain stays.
        turns = [Turn(**{k: v for k, v in vars(turn).items() if k != "id"}) for turn in turns]
    note = st.session_state.get(NOTE)
    state.new_chat()
    st.session_state[state.TRANSCRIPT] = turns
    st.session_state[state.THREAD] = thread
    st.session_state[NOTE] = " ".join(filter(None, ["Forked into a new chat; the original is unchanged.", note]))
    st.query_params.from_dict(thread.url_params)
