"""The Compare page's pieces: its session keys, each column's settings form, its answers and its buttons."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lib.compare import (
    MAX_COLUMNS,
    MIN_COLUMNS,
    SERVICE_TIERS,
    VERBOSITIES,
    Column,
    ColumnSpec,
    column_settings,
    describe,
    timing_line,
)
from lib.identity import PROFILES_NOT_KEPT
from lib.markup import code_span, plain
from lib.profile_format import builtin, name_refusal, to_data
from lib.settings import COMMON_MODELS, REASONING_EFFORTS, Settings
from lib.store import StoreError
from lib.ui import budget as budget_view
from lib.ui import compare_flow, state
from lib.ui.transcript import render_turn

COLUMNS = "compare_columns"  # list[Column], MAX_COLUMNS of them; the first `compare_count` are shown
COUNT = "compare_count"  # how many columns are shown (a plain copy of the widget's value)
RESTORE = "compare_restore"  # a prompt to put back into the input (refused, or sent while answers run)
INPUT = "compare_input"  # the prompt box's widget key
SPEC_FIELDS = (
    "profile",
    "model",
    "reasoning_effort",
    "verbosity",
    "temperature",
    "instructions",
    "tools",
    "service_tier",
)


def columns() -> list[Column]:
    """This session's columns (all MAX_COLUMNS; the page shows the first `count()`)."""
    return st.session_state.setdefault(COLUMNS, [Column() for _ in range(MAX_COLUMNS)])


def count() -> int:
    """How many columns to compare: 2-4, kept across page visits."""
    st.session_state.setdefault("compare_w_count", st.session_state.get(COUNT, MIN_COLUMNS))
    chosen = st.segmented_control(
        "Columns",
        list(range(MIN_COLUMNS, MAX_COLUMNS + 1)),
        key="compare_w_count",
        disabled=bool(compare_flow.running()),
    )
    st.session_state[COUNT] = chosen or st.session_state.get(COUNT, MIN_COLUMNS)
    return st.session_state[COUNT]


def reset() -> None:
    """Start a new comparison: every column on a fresh thread (the answers stay in History)."""
    st.session_state[COLUMNS] = [Column(spec=c.spec) for c in columns()]
    st.session_state.pop(compare_flow.JOBS, None)


def _key(name: str, index: int) -> str:
    return f"compare_w_{name}_{index}"


def profile_names(current: Settings) -> tuple[list[str], list[str]]:
    """(this owner's profile names, the shipped ones); a saved one never shadows a shipped one."""
    shipped = list(builtin())
    who = state.identity(current)
    try:
        mine = [n for n in state.history(current).profiles.names(who.owner) if n not in shipped] if who.durable else []
    except StoreError:
        mine = []
    return mine, shipped


def _profile_data(current: Settings, name: str) -> dict[str, Any] | None:
    """A shipped profile of that name, else this owner's."""
    if (shipped := builtin().get(name)) is not None:
        return shipped
    return state.history(current).profiles.get(state.owner(current), name)


def spec_form(index: int, column: Column, current: Settings, profiles: list[str]) -> Settings | None:
    """Column `index`'s settings form; the settings it runs with, or None (said on the page) if unusable."""
    for name in SPEC_FIELDS:  # widget values are dropped on a page change: seed them from the plain spec
        value = getattr(column.spec, name)
        st.session_state.setdefault(_key(name, index), (not value) if name == "tools" else value)
    with st.expander(f"Column {index + 1} settings", icon=":material/tune:", expanded=not column.turns):
        profile = st.selectbox(
            "Profile", profiles, index=None, key=_key("profile", index), placeholder="Current settings"
        )
        models = list(dict.fromkeys([current.model, *COMMON_MODELS]))
        model = st.selectbox(
            "Model", models, index=None, key=_key("model", index), accept_new_options=True, placeholder="As set"
        )
        effort = st.selectbox(
            "Reasoning effort", REASONING_EFFORTS, index=None, key=_key("reasoning_effort", index), placeholder="As set"
        )
        verbosity = st.selectbox(
            "Verbosity",
            VERBOSITIES,
            index=None,
            key=_key("verbosity", index),
            placeholder="Not sent (the model's default)",
        )
        temperature = st.number_input(
            "Temperature",
            min_value=0.0,
            max_value=2.0,
            value=None,
            step=0.1,
            key=_key("temperature", index),
            placeholder="As set",
        )
        # The cap prices a turn at the standard rate: on the owner's key, no tier that bills more.
        capped = budget_view.applies(current)
        tiers = [t for t in SERVICE_TIERS if not (capped and t == "priority")]
        if st.session_state.get(_key("service_tier", index)) not in (None, *tiers):
            st.session_state[_key("service_tier", index)] = None
        tier = st.selectbox(
            "Service tier",
            tiers,
            index=None,
            key=_key("service_tier", index),
            placeholder="Not sent",
            help="Priority is not offered on the app's key." if capped else None,
        )
        instructions = st.text_area("Instructions", key=_key("instructions", index), placeholder="As set", height=68)
        no_tools = st.checkbox("No tools", key=_key("tools", index), help="Offer this column's model no tools.")
    column.spec = ColumnSpec(
        profile=profile,
        model=model or None,
        reasoning_effort=effort,
        verbosity=verbosity,
        temperature=temperature,
        instructions=instructions or None,
        tools=not no_tools,
        service_tier=tier,
    )
    try:
        data = _profile_data(current, profile) if profile else None
        if profile and data is None:
            raise ValueError("there is no such profile for you")
        return column_settings(current, column.spec, data)
    except (ValueError, StoreError) as error:
        st.error(f"Profile {plain(profile or '')} cannot be used: {plain(str(error))}")
        return None


def draw_column(index: int, column: Column, current: Settings, chosen: Settings | None) -> None:
    """The column's heading and its finished turns."""
    shown = column.settings or chosen
    st.markdown(f"**Column {index + 1}** · {code_span(describe(shown)) if shown else 'not usable'}")
    for turn in column.turns:
        render_turn(turn, current=column.settings or current)
        if line := timing_line(turn):
            st.caption(line)


def after_answer(index: int, column: Column) -> None:
    """Under an answer that has just streamed in: its timings, then the column's buttons."""
    if column.turns and (line := timing_line(column.turns[-1])):
        st.caption(line)
    actions(index, column)


def actions(index: int, column: Column) -> None:
    """Continue in chat and Save as profile, under a column that has answers."""
    if not column.turns or column.settings is None:
        return
    if st.button("Continue in chat", key=f"compare_continue_{index}", icon=":material/chat:"):
        compare_flow.continue_in_chat(column)
    with st.expander("Save as profile", icon=":material/bookmark_add:"):
        name = st.text_input("Profile name", key=f"compare_profile_name_{index}", placeholder="demo")
        if st.button("Save profile", key=f"compare_profile_save_{index}", disabled=not name.strip()):
            save_profile(column.settings, name.strip())


def save_profile(settings: Settings, name: str) -> None:
    """Save a column's settings as a profile, by Setup's rules: no secrets, owner-scoped, no shipped name."""
    who = state.identity(settings)
    if not who.durable:
        st.error(PROFILES_NOT_KEPT)
        return
    if refusal := name_refusal(name):
        st.error(refusal)
        return
    try:
        state.history(settings).profiles.save(who.owner, name, to_data(settings))
    except (StoreError, ValueError) as error:
        st.error(f"The profile was not saved: {plain(str(error))}")
        return
    st.success(
        f"Saved profile {plain(name)}: pick it on Setup → Profiles, or in any column.", icon=":material/bookmark_added:"
    )
