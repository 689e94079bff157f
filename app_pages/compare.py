"""Compare: one prompt to 2-4 differently set assistants, answering side by side, each on its own thread."""

from __future__ import annotations

import streamlit as st

from lib.ui import compare_flow, compare_view, state

current = state.ready_settings()

st.title("Compare")
st.caption(
    "Each column is a saved profile or the current settings with changes. One prompt goes to every "
    "column at once; follow-ups continue each column's own conversation."
)
top_left, top_right = st.columns([3, 1], vertical_alignment="bottom")
with top_left:
    shown = compare_view.count()
top_right.button(
    "New comparison", icon=":material/restart_alt:", on_click=compare_view.reset, disabled=bool(compare_flow.running())
)
columns = compare_view.columns()[:shown]
mine, shipped = compare_view.profile_names(current)
if (restored := st.session_state.pop(compare_view.RESTORE, None)) and not st.session_state.get(compare_view.INPUT):
    st.session_state[compare_view.INPUT] = restored
prompt = st.chat_input("Ask every column", key=compare_view.INPUT)
slots = st.columns(shown)
chosen = []
for index, (slot, column) in enumerate(zip(slots, columns, strict=True)):
    with slot:
        chosen.append(compare_view.spec_form(index, column, current, mine + shipped))
        compare_view.draw_column(index, column, current, chosen[-1])
if prompt:
    usable = [c for c in chosen if c is not None]
    if len(usable) < len(chosen) or not compare_flow.send(prompt, columns, usable):
        st.session_state[compare_view.RESTORE] = prompt
running = compare_flow.running()
for index, (slot, column) in enumerate(zip(slots, columns, strict=True)):
    if index not in running:
        with slot:
            compare_view.actions(index, column)
compare_flow.follow(columns, slots, compare_view.after_answer)
