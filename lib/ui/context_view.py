"""The Chat page's context: the meter, the count before sending, the Compact button and the compaction card."""

from __future__ import annotations

import streamlit as st

from lib.context_meter import meter_for
from lib.settings import Settings
from lib.ui import state


def render_context(current: Settings) -> None:
    """In the sidebar: how full the context is; nothing before the first answer."""
    meter = meter_for(state.transcript(), current.model)
    if meter is None:
        return
    with st.sidebar:
        st.caption("Context")
        if meter.fraction is not None:
            st.progress(meter.fraction)
        st.caption(meter.label, help="What the conversation holds now: the last response's input plus its answer. "
                   "The next turn sends all of it again (the cached part is billed cheaper).")
