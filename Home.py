"""Responses Studio: the router and frame. Pages do the work."""

from __future__ import annotations

import streamlit as st

from lib.ui.sidebar import render_sidebar

st.set_page_config(page_title="Responses Studio", page_icon=":material/forum:", layout="centered")

PAGES = [
    st.Page("pages/chat.py", title="Chat", icon=":material/chat:", default=True),
    st.Page("pages/files.py", title="Files", icon=":material/folder_open:"),
    st.Page("pages/setup.py", title="Setup", icon=":material/settings:"),
]

page = st.navigation(PAGES)
render_sidebar()
page.run()
