"""The warning a shared deployment gets when its history lives on a disk that does not last."""

from __future__ import annotations

import streamlit as st

from lib.settings import Settings
from lib.turn_records import ephemeral_store_warning


def warn_if_history_is_ephemeral(current: Settings) -> None:
    """One line naming the fix, on History and Setup → Profiles, when history is on the default SQLite file."""
    if warning := ephemeral_store_warning(current.mode, current.history_url):
        st.warning(warning, icon=":material/cloud_off:")
