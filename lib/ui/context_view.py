"""The Chat page's context: the meter, the count before sending, the Compact button and the compaction card."""

from __future__ import annotations

from dataclasses import replace

import openai
import streamlit as st

from lib import ownership
from lib.capabilities import is_missing
from lib.client import client_key
from lib.context_meter import meter_for
from lib.pricing import max_cost_usd
from lib.settings import Settings
from lib.token_count import cache_key, count_input_tokens, count_request
from lib.ui import state, store_owners

COUNTS = "context_counts"  # cache key -> input tokens of the next turn (None: the count failed)
NO_COUNT = "context_no_count"  # client keys whose endpoint has no input_tokens (a 404 said so, once)
MAX_COUNTS = 32  # counts kept per session; older states are not shown again


def render_context(current: Settings) -> None:
    """In the sidebar: how full the context is; nothing before the first answer."""
    meter = meter_for(state.transcript(), current.model)
    if meter is None:
        return
    with st.sidebar:
        st.caption("Context")
        if meter.fraction is not None:
            st.progress(meter.fraction)
        st.caption(meter.label, help="What the conversation holds now: the last response's input plus its answer. "
                   "The next turn sends all of it again (the cached part is billed cheaper).")


def next_turn_tokens(current: Settings) -> int | None:
    """The API's count of the next turn before its message, counted once per state; None if it cannot say."""
    if state.JOB in st.session_state:
        return None  # the thread is still moving
    client_id = client_key(current)
    absent: set[object] = st.session_state.setdefault(NO_COUNT, set())
    if client_id in absent:
        return None
    # Only this session's vector stores, as a turn would send (silently: the turn itself says so).
    tools, _ = ownership.scoped_tools(current.tools, store_owners.owned_ids(current))
    thread = state.thread()
    request = count_request(replace(current, tools=tools), thread)
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
    price = f", ${cost:,.4f}" if cost is not None else ""
    st.caption(f"Next turn: ≈ {tokens:,} tokens{price} before your message",
               help="Counted by the API (responses/input_tokens) for the model, instructions, tools and "
                    "conversation as they are now; your message adds its own tokens.")
