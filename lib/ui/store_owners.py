"""This session's vector stores: the lookup in the history database behind lib.ownership's rule."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from lib import ownership
from lib.access import owner_key_in_use
from lib.ownership import Owned
from lib.settings import Settings
from lib.ui import state


def owned_ids(current: Settings) -> Owned:
    """The stores this session may use: only those it created while the app owner's key is in use;
    with the visitor's own key, or locally, every store the key can see (None)."""
    if not owner_key_in_use(current):
        return None
    return state.history(current).vector_stores.ids(state.owner(current))


def record(current: Settings, store_id: str) -> None:
    """Note that this session created the store (always, so a later switch to the owner's key keeps it)."""
    state.history(current).vector_stores.record(state.owner(current), store_id)


def forget(current: Settings, store_id: str) -> None:
    """Drop the record of a store this session deleted."""
    state.history(current).vector_stores.forget(state.owner(current), store_id)


def metadata(current: Settings) -> dict[str, str]:
    """The `metadata` a store the app creates carries: whose it is, as a hash."""
    return {"owner": ownership.owner_tag(state.owner(current))}


def scoped(current: Settings) -> Settings:
    """The settings a turn is sent with: file search keeps only this session's stores, and says so."""
    tools, refused = ownership.scoped_tools(current.tools, owned_ids(current))
    if not refused:
        return current
    st.warning(ownership.refused_note(refused), icon=":material/lock:")
    return replace(current, tools=tools)
