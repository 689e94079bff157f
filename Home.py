"""Responses Studio: the router and frame. Pages do the work."""

from __future__ import annotations

import streamlit as st

from lib import turn_log
from lib.ui import context, gate
from lib.ui.profiles_view import open_from_url
from lib.ui.sidebar import render_sidebar

st.set_page_config(page_title="Responses Studio", page_icon=":material/forum:")
run = context.begin_run()  # settings resolved once for this run; every page and helper takes them from here
try:
    gate.guard(run)  # shared mode: sign in or app password before any page; stops here until passed
    turn_log.configure()  # LOG_LEVEL from the environment or the secrets (which Streamlit copies into it)
    open_from_url(context.page())  # ?profile=name: a saved assistant, for demos

    PAGES = [
        st.Page("app_pages/chat.py", title="Chat", icon=":material/chat:", default=True),
        st.Page("app_pages/compare.py", title="Compare", icon=":material/view_column:", url_path="compare"),
        st.Page("app_pages/files.py", title="Files", icon=":material/folder_open:"),
        st.Page("app_pages/history.py", title="History", icon=":material/history:"),
        st.Page("app_pages/evals.py", title="Evals", icon=":material/fact_check:"),
        st.Page("app_pages/setup.py", title="Setup", icon=":material/settings:"),
    ]

    page = st.navigation(PAGES)
    # One layout per run, set here: a page overriding the frame's layout makes it flicker between reruns.
    st.set_page_config(layout="wide" if page.url_path in {"history", "compare", "evals"} else "centered")
    render_sidebar(context.page())  # the gate or a profile may have changed the settings: the current context
    page.run()
finally:  # a rerun, a stop or a page switch too: the next run resolves afresh
    context.end_run()
