"""History: every recorded response and conversation, filtered, paged and sorted in the database."""

from __future__ import annotations

import streamlit as st

from lib.identity import HISTORY_NOT_KEPT
from lib.ui import (
    context,
    evals_datasets,
    history_charts,
    history_conversations,
    history_detail,
    history_view,
    state,
    store_notice,
)

page = context.ready()
current = page.settings

st.title("History")
state.show_flash()
store_notice.warn_if_history_is_ephemeral(current)
store, owner = page.store, page.owner
if not page.identity.durable:
    st.info(HISTORY_NOT_KEPT, icon=":material/person_off:")

responses_tab, conversations_tab = st.tabs(["Responses", "Conversations"], key="history_tab", on_change="rerun")
if responses_tab.open:
    with responses_tab:
        version = history_view.data_version(store, owner)
        selected_filter = history_view.filters_form(store, owner, version)
        figures = history_view.aggregates(store, selected_filter, version)
        history_charts.summary(figures)
        history_charts.good_share(store.feedback.daily_share(selected_filter))
        selected = history_view.responses_table(store, selected_filter, figures["totals"]["responses"])
        history_view.export_buttons(store, selected_filter)
        if page.identity.durable:
            picked = st.session_state.get(history_view.PICKED, [])
            evals_datasets.add_to_dataset(
                page.client, store, owner, selected_filter, picked, figures["totals"]["responses"]
            )
        if selected is not None:
            history_detail.show(page, selected)
        else:
            st.caption("Select one row to see the whole response (several, to add them to a dataset).")
if conversations_tab.open:
    with conversations_tab:
        history_conversations.show(page)
