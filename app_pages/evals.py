"""Evals: datasets of prompts, runs of them against profiles with graders, and two runs compared."""

from __future__ import annotations

import streamlit as st

from lib.identity import HISTORY_NOT_KEPT
from lib.ui import evals_compare, evals_datasets, evals_runs, state

current = state.ready_settings()

st.title("Evals")
state.show_flash()
store, owner = state.history(current), state.owner(current)
if not state.identity(current).durable:
    st.info(HISTORY_NOT_KEPT + " Datasets and runs are kept the same way.", icon=":material/person_off:")
    st.stop()

datasets_tab, runs_tab, compare_tab = st.tabs(["Datasets", "Runs", "Compare runs"], key="evals_tab", on_change="rerun")
if datasets_tab.open:
    with datasets_tab:
        evals_datasets.datasets_tab(store, owner)
if runs_tab.open:
    with runs_tab:
        evals_runs.runs_tab(current, store, owner)
if compare_tab.open:
    with compare_tab:
        evals_compare.compare_tab(store, owner)
