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
    """The stores this session may use: on the owner's key those it created; else None (all the key sees)."""
    if not owner_key_in_use(current):
        return None
    owner = state.owner(current)
    return state.history(current).vector_stores.ids(owner) if owner else frozenset()  # no one: nothing


def record(current: Settings, store_id: str) -> None:
    """Note that this session created the store (always, so the record is there whichever key is in use)."""
    if owner := state.owner(current):
        state.history(current).vector_stores.record(owner, store_id)


def forget(current: Settings, store_id: str) -> None:
    """Drop the record of a store this session deleted."""
    if owner := state.owner(current):
        state.history(current).vector_stores.forget(owner, store_id)


def metadata(current: Settings) -> dict[str, str]:
    """The `metadata` a store the app creates carries: whose it is, as a hash (never the e-mail or key)."""
    owner = state.owner(current)
    return {"owner": ownership.owner_tag(owner)} if owner else {}


def scoped(current: Settings) -> Settings:
    """The settings a turn is sent with: file search keeps only this session's stores, and says so."""
    tools, refused = ownership.scoped_tools(current.tools, owned_ids(current))
    if not refused:
        return current
    st.warning(ownership.refused_note(refused), icon=":material/lock:")
    return replace(current, tools=tools)
