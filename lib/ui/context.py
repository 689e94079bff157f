"""One run's page context: the settings resolved once, and the client, store and identity that go with them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import streamlit as st
from openai import OpenAI

from lib.identity import Identity
from lib.settings import Settings, missing_setting
from lib.store import HistoryStore
from lib.ui import state

# This run's Page, from Home.py's begin_run to the end of the run (popped then, so no run sees another's).
RUN_PAGE = "run_page_context"


@dataclass(frozen=True)
class Page:
    """What one run of a page works with: settings, the identity they imply, and (on first use) client and store."""

    settings: Settings  # as this session may use them: the owner's key only past the gate, safety id in shared mode
    configured: Settings  # as configured, the owner's key included: for the gate and the spending cap, never clients
    identity: Identity
    # What it was resolved from: the session's choices and whether the gate was passed (see page()).
    chosen: Mapping[str, Any] = field(repr=False, compare=False)
    access: bool = field(default=False, compare=False)

    @property
    def owner(self) -> str:
        """Whose history, profiles and share links this session sees."""
        return self.identity.owner

    @cached_property
    def client(self) -> OpenAI:
        """This session's client for these settings (from the session's ClientCache)."""
        return state.client(self.settings)

    @cached_property
    def store(self) -> HistoryStore:
        """The history store these settings name."""
        return state.history(self.settings)


def build(configured: Settings | None = None) -> Page:
    """A page context resolved now (from `configured` when the caller resolved it already)."""
    chosen, access = dict(state.session_settings()), bool(st.session_state.get(state.ACCESS))
    configured = configured or state.configured_settings()
    current = state.for_session(configured)
    return Page(current, configured, state.identity(current), chosen, access)


def begin_run() -> Page:
    """Home.py, at the top of every run: resolve settings once, for everything this run draws."""
    st.session_state[RUN_PAGE] = page = build()
    return page


def end_run() -> None:
    """Home.py, when the run ends however it ends: the next run (and its callbacks) resolve afresh."""
    st.session_state.pop(RUN_PAGE, None)


def page() -> Page:
    """This run's page context.

    Settings change during a run only through the session's choices (Setup's Save, a profile loaded, "Use in
    chat") or the gate being passed; the cached context is checked against both, so whoever changes them, the
    next caller gets a context that reflects it, with no call to remember. Outside a run opened by Home.py
    (a callback before it, a test script) there is no cache: it is resolved afresh.
    """
    cached = st.session_state.get(RUN_PAGE)
    if not isinstance(cached, Page):
        return build()
    chosen, access = state.session_settings(), bool(st.session_state.get(state.ACCESS))
    if cached.chosen == chosen and cached.access == access:
        return cached
    # Only the gate moved: the configuration read from disk and secrets is the same, so it is not read again.
    st.session_state[RUN_PAGE] = fresh = build(cached.configured if cached.chosen == chosen else None)
    return fresh


def with_settings(settings: Settings) -> Page:
    """This run's context for settings derived from its own (a Compare column, a template rendered): same
    key and endpoint, hence the same identity, client and store."""
    return replace(page(), settings=settings)


def ready() -> Page:
    """This run's context, when its settings are enough to talk to the API; otherwise off to Setup with the reason."""
    current = page()
    if problem := missing_setting(current.settings):
        state.flash(problem)
        st.switch_page(state.SETUP_PAGE)
    return current
