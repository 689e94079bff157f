""" "View as code": the Python and curl that reproduce a turn's requests, with no secret in them."""

from __future__ import annotations

import streamlit as st

from lib.codegen import curl_command, python_code, target_of
from lib.settings import Settings
from lib.stream import Turn
from lib.ui import state


def render_code(turn: Turn, current: Settings) -> None:
    """A "View as code" button; once pressed, each request of the turn as Python and as curl.

    The code is built only when asked for: building it for every past turn on every rerun was over half
    of a long chat's rerun time.
    """
    if not turn.requests:
        return
    opened: set[str] = st.session_state.setdefault(state.CODE_SHOWN, set())
    if turn.id not in opened:
        st.button(
            "View as code",
            key=f"code_{turn.id}",
            icon=":material/code:",
            type="tertiary",
            on_click=opened.add,
            args=(turn.id,),
        )
        return
    with st.expander("View as code", icon=":material/code:", expanded=True):
        target = target_of(current)
        for number, request in enumerate(turn.requests, start=1):
            if len(turn.requests) > 1:
                st.caption(f"Request {number} of {len(turn.requests)}")
            python_tab, curl_tab = st.tabs(["Python", "curl"])
            python_tab.code(python_code(request, **target), language="python")
            curl_tab.code(curl_command(request, **target), language="bash")
