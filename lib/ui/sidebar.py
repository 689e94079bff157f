"""The sidebar every page shares: new chat, and the recent conversations of this owner."""

from __future__ import annotations

import streamlit as st

from lib.markup import code_span, plain
from lib.settings import missing_setting
from lib.store import StoreError
from lib.ui import budget, state
from lib.ui.context import Page
from lib.ui.share import render_share_link

RECENT = 12


def render_sidebar(page: Page) -> None:
    """New chat, what the chat talks to, and the recent conversations to reopen."""
    current = page.settings
    with st.sidebar:
        if st.button("New chat", icon=":material/add_comment:", width="stretch"):
            state.new_chat()
            st.switch_page(state.CHAT_PAGE)
        st.caption(f"Model: {code_span(current.model)}")
        if line := budget.sidebar_line(page):
            st.caption(line)
        who = page.identity
        if not who.durable:  # an anonymous visitor's chats are not recorded: no link would open them
            return
        render_share_link(state.thread(), st.session_state.get(state.PROFILE_LOADED))
        if missing_setting(current):
            return
        try:
            recent = page.store.conversations(who.owner, limit=RECENT)
        except StoreError:
            return
        if not recent:
            return
        st.caption("Recent conversations")
        active = state.thread().conversation_id
        for row in recent:
            title = row.get("title") or row["id"]
            label = title if len(title) <= 32 else title[:31] + "…"
            st.page_link(
                state.CHAT_PAGE,
                label=plain(label),
                help=plain(title),
                query_params={"conversation": row["id"]},
                icon=":material/chat_bubble:" if row["id"] == active else ":material/chat_bubble_outline:",
            )
