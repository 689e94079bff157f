"""The sidebar every page shares."""

from __future__ import annotations

import streamlit as st

from lib.ui import state


def render_sidebar() -> None:
    """New chat, and what the current chat talks to."""
    with st.sidebar:
        if st.button("New chat", icon=":material/add_comment:", width="stretch"):
            state.new_chat()
            st.switch_page("pages/chat.py")
        current = state.settings()
        st.caption(f"Model: `{current.model}`")
        if thread_id := state.thread().conversation_id:
            st.caption(f"Conversation: `{thread_id}`")
