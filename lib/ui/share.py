"""'Share this chat': the app's URL with the chat's id, which opens only for the chat's owner."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from lib.conversations import Thread


def share_link(thread: Thread, profile: str | None = None) -> str | None:
    """The URL that reopens this chat (and profile); None before the chat has an id."""
    params = dict(thread.url_params)
    if not params:
        return None
    if profile:
        params["profile"] = profile
    # st.context.url is the app's root as the browser sees it, without page path or query;
    # the chat page is the default page, so the root plus the id lands on it.
    return f"{(st.context.url or '').rstrip('/')}/?{urlencode(params)}"


def render_share_link(thread: Thread, profile: str | None = None) -> None:
    """A 'Share this chat' popover with the link to copy; nothing before the chat has an id."""
    link = share_link(thread, profile)
    if link is None:
        return
    with st.popover("Share this chat", icon=":material/share:", width="stretch"):
        st.code(link, language=None, wrap_lines=True)
        st.caption(
            "Opens this chat for its owner only: the same sign-in, or the same API key. "
            "Anyone else gets a message, not the chat."
        )
