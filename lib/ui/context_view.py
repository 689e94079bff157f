"""The Chat page's context: the meter, the count before sending, the Compact button and the compaction card."""

from __future__ import annotations

from dataclasses import replace

import openai
import streamlit as st

from lib import budget, ownership
from lib.capabilities import is_missing
from lib.client import client_key
from lib.compaction import Compacted, compact, compact_source, continued_thread, turns_since_compaction
from lib.context_meter import meter_for
from lib.context_window import window_for
from lib.conversations import Thread
from lib.errors import explain
from lib.items import Item
from lib.pricing import max_cost_usd
from lib.settings import Settings
from lib.store import StoreError
from lib.stream import Turn
from lib.token_count import cache_key, count_input_tokens, count_request
from lib.ui import budget as budget_view
from lib.ui import context, state, store_owners
from lib.usage_text import dollars

COUNTS = "context_counts"  # cache key -> input tokens of the next turn (None: the count failed)
NO_COUNT = "context_no_count"  # client keys whose endpoint has no input_tokens (a 404 said so, once)
MAX_COUNTS = 32  # counts kept per session; older states are not shown again
NO_COMPACT = "context_no_compact"  # client keys whose endpoint has no responses/compact
COMPACT_HELP = (
    "Replace the conversation so far with one compact summary made by the API (your messages are kept "
    "word for word). Later turns send much less; the model keeps the gist, not every detail."
)
CARD_NOTE = (
    "Everything before this point now reaches the model as one compact, encrypted summary made by the API, "
    "plus your messages word for word. The turns above stay on screen; the model no longer sees them in full."
)


def render_context(current: Settings) -> None:
    """In the sidebar: how full the context is, and Compact; nothing in a new chat."""
    meter = meter_for(state.transcript(), current.model)
    if meter is None and not state.transcript():
        return
    with st.sidebar:
        st.caption("Context")
        if meter is not None:  # a reopened chat's turns carry no usage until the next answer
            if meter.fraction is not None:
                st.progress(meter.fraction)
            st.caption(
                meter.label,
                help="What the conversation holds now: the last response's input plus its "
                "answer. The next turn sends all of it again (the cached part is billed cheaper).",
            )
        _compact_button(current)


def _compact_button(current: Settings) -> None:
    """Compact, when there is a conversation on the server, no answer running, and the endpoint can."""
    thread = state.thread()
    if state.JOB in st.session_state or not (thread.conversation_id or thread.last_response_id):
        return
    if client_key(current) in st.session_state.get(NO_COMPACT, set()):
        return
    if st.button("Compact", icon=":material/compress:", key="context_compact", help=COMPACT_HELP):
        compact_now(current)


def compact_now(current: Settings) -> None:
    """Compact the conversation; the transcript gets the card and the thread goes on from the compacted window."""
    tab, refusal = budget_view.admit(context.with_settings(current))  # a paid request on the key, admitted like a turn
    if refusal:
        st.warning(refusal, icon=":material/savings:")
        return
    thread, turns = state.thread(), state.transcript()
    with st.spinner("Compacting the conversation…"):
        done, resumed, problem = _compact(current, thread, turns)
    note = budget.settle(tab, done.as_turn(current.model) if done else Turn(prompt=""))  # nothing made: nothing owed
    if done is None or resumed is None:
        st.warning(problem or "The conversation was not compacted.", icon=":material/compress:")
        return
    turns[-1].items.append(done.card_item())
    st.session_state[state.THREAD] = resumed
    _record(current, resumed.conversation_id, thread.conversation_id, turns)
    st.query_params.from_dict(resumed.url_params)  # a chain has no id until its next answer: nothing to reopen
    if note:
        state.flash(note)
    st.rerun()


def _compact(
    current: Settings, thread: Thread, turns: list[Turn]
) -> tuple[Compacted | None, Thread | None, str | None]:
    """(what the compaction made, the thread to go on from, or why not); a missing endpoint is remembered."""
    client, done = state.client(current), None
    try:
        source = compact_source(client, thread)
        if source is None:
            return None, None, "Nothing to compact yet."
        done = compact(client, current, source, turns_since_compaction(turns))
        return done, continued_thread(client, thread, done, _title(current, thread.conversation_id, turns)), None
    except openai.APIStatusError as error:
        if is_missing(error) and done is None:
            st.session_state.setdefault(NO_COMPACT, set()).add(client_key(current))
            return None, None, "This server cannot compact conversations."
        return done, None, f"The conversation was not compacted. {_explain(current, error)}"
    except openai.APIError as error:
        return done, None, f"The conversation was not compacted. {_explain(current, error)}"


def _explain(current: Settings, error: Exception) -> str:
    return explain(error, model=current.model, endpoint=current.endpoint)


def _title(current: Settings, conversation_id: str | None, turns: list[Turn]) -> str:
    """The compacted chat's title: the old one's, else its first prompt."""
    known = None
    if conversation_id:
        try:
            known = (state.history(current).conversation(state.owner(current), conversation_id) or {}).get("title")
        except StoreError:
            known = None
    return known or next((t.prompt for t in turns if t.prompt), "Compacted chat")


def _record(current: Settings, new_id: str | None, old_id: str | None, turns: list[Turn]) -> None:
    """The new conversation is this owner's, like the old one: its link opens for them only."""
    who = state.identity(current)
    if not new_id or not who.durable:
        return
    try:
        state.history(current).upsert_conversation(
            new_id,
            who.owner,
            title=_title(current, old_id, turns),
            model=current.model,
            metadata={"compacted_from": old_id},
        )
    except StoreError as error:
        st.warning(f"The compacted chat was not saved to the history: {error}", icon=":material/history:")


def render_compaction(item: Item) -> None:
    """The compaction card, collapsed: what was compacted, when the app knows (only numbers reach the label)."""
    turns, tokens = item.data.get("compacted_turns"), item.data.get("compacted_tokens")
    if all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (turns, tokens)):
        label = f"Compacted {turns:,} turn{'s' if turns != 1 else ''} into {tokens:,} tokens"
    else:  # made by the server past the threshold, or reopened from the API: its size is not said
        label = "Compacted the conversation here"
    with st.expander(label, icon=":material/compress:"):
        st.caption(CARD_NOTE)


def threshold_input(current: Settings, model: str) -> int:
    """Setup: compact automatically past this share of the window (0: never); the server does it, mid-turn."""
    percent = st.number_input(
        "Compact automatically at (% of the context window)",
        min_value=0,
        max_value=99,
        value=current.compact_at_percent or 0,
        step=5,
        key="setup_compact_at",
        help="When a turn's context passes this share of the model's window, the API compacts it in the same "
        "answer (context_management with compact_threshold). 0 turns it off.",
    )
    if percent and not window_for(model):
        st.caption("This model's context window is unknown, so automatic compaction stays off for it.")
    return int(percent)


def next_turn_tokens(current: Settings) -> int | None:
    """The API's count of the next turn before its message, counted once per state; None if it cannot say."""
    if state.JOB in st.session_state:
        return None  # the thread is still moving
    client_id = client_key(current)
    absent: set[object] = st.session_state.setdefault(NO_COUNT, set())
    if client_id in absent:
        return None
    if current.tools.vector_store_ids:  # only this session's stores, as a turn sends (the turn says so, not this)
        current = replace(current, tools=ownership.scoped_tools(current.tools, store_owners.owned_ids(current))[0])
    thread = state.thread()
    request = count_request(current, thread)
    if request is None:
        return None
    counts: dict[str, int | None] = st.session_state.setdefault(COUNTS, {})
    key = cache_key(repr(client_id), request, thread.last_response_id, len(state.transcript()))
    if key not in counts:
        if len(counts) >= MAX_COUNTS:
            counts.clear()
        try:
            counts[key] = count_input_tokens(state.client(current), request)
        except openai.APIStatusError as error:
            if is_missing(error):  # found out once for this endpoint: never asked again this session
                absent.add(client_id)
                return None
            counts[key] = None
        except openai.APIError:
            counts[key] = None
    return counts[key]


def render_count(current: Settings) -> None:
    """Above the input: what the next turn costs in input before the message typed: '≈ N tokens, $X'."""
    tokens = next_turn_tokens(current)
    if tokens is None:
        return
    cost = max_cost_usd(current.model, tokens, 0)
    price = f", {dollars(cost)}" if cost is not None else ""
    st.caption(
        f"Next turn: ≈ {tokens:,} tokens{price} before your message",
        help="Counted by the API (responses/input_tokens) for the model, instructions, tools and "
        "conversation as they are now; your message adds its own tokens.",
    )
