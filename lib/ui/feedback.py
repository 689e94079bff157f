"""Thumbs up or down and a comment under an answer, saved with the response in the history store."""

from __future__ import annotations

import streamlit as st

from lib.settings import Settings
from lib.store.feedback import GOOD
from lib.ui import state


def _save(owner: str, current: Settings, response_id: str, key: str) -> None:
    # The comment belongs to the rating: clearing the thumbs clears both.
    rating = st.session_state.get(key)
    comment = st.session_state.get(f"{key}_comment") if rating is not None else None
    if not state.history(current).feedback.set(owner, response_id, rating, comment):
        st.toast("This answer is not in your history (yet), so it cannot be rated.", icon=":material/info:")


def rate(current: Settings, response_id: str | None, *, where: str) -> None:
    """👍/👎 and, once rated, a comment; nothing for a visitor whose history is not kept."""
    if not response_id or not state.identity(current).durable:
        return
    owner = state.owner(current)
    key = f"feedback_{where}_{response_id}"
    if key not in st.session_state:  # first draw in this session: start from what is stored
        saved = state.history(current).feedback.get(owner, response_id) or {}
        st.session_state[key] = saved.get("rating")
        st.session_state[f"{key}_comment"] = saved.get("comment") or ""
    row = st.container(horizontal=True, vertical_alignment="center", key=f"{key}_row")
    with row:
        st.feedback("thumbs", key=key, on_change=_save, args=(owner, current, response_id, key))
        rating = st.session_state.get(key)
        if rating is not None:
            with st.popover("Comment", icon=":material/comment:", type="tertiary"):
                st.text_input(
                    "Why?",
                    key=f"{key}_comment",
                    placeholder="What was good or wrong (optional)",
                    on_change=_save,
                    args=(owner, current, response_id, key),
                )
            st.caption("Rated good" if rating == GOOD else "Rated bad")
