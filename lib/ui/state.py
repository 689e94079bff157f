"""Session state shared across pages: its plain keys, and the accessors every page uses."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import streamlit as st
from dotenv import dotenv_values
from openai import OpenAI

from lib.access import is_local, owner_key_in_use, without_owner_key
from lib.client import ClientCache
from lib.conversations import Thread
from lib.identity import ANONYMOUS, Identity, identify
from lib.settings import Settings, resolve, secrets_dict
from lib.store import HistoryStore, default_url
from lib.stream import Turn

# Like Streamlit's own .streamlit/secrets.toml, .env is looked up where the app is started.
DOTENV_NAME = ".env"

CHAT_PAGE = "app_pages/chat.py"
SETUP_PAGE = "app_pages/setup.py"

# Plain keys shared across pages: they outlive the page that set them (widget keys do not). Keys one page
# uses alone live in that page's lib/ui module; docs/ARCHITECTURE.md lists where.
SETTINGS = "settings"  # dict of field -> value chosen in this session
TRANSCRIPT = "transcript"  # list[Turn]
THREAD = "thread"  # Thread
CLIENTS = "clients"  # ClientCache: this session's clients only
FLASH = "flash"  # (level, message) shown once at the top of the next page
RESTORE_PROMPT = "restore_prompt"  # text to put back into the chat input
CHAT_INPUT = "chat_input"  # the chat input widget's key
TO_INDEX = "chat_to_index"  # documents dropped into the chat, offered for the vector store
APPROVALS = "mcp_decisions"  # {approval request id: approve?} clicked, waiting to be sent
CONTINUE = "continue_requested"  # True once "Continue" was pressed under a cut answer
CHAINED = "chained_clients"  # client keys whose endpoint has no Conversations API
CODE_SHOWN = "code_shown"  # ids of the turns whose "View as code" is open
SHOW_ALL = "chat_show_all"  # True once the user asked to see the earlier turns of a long chat
JOB = "turn_job"  # the TurnJob of the answer being written, until the page collects it
ACCESS = "access_granted"  # True once this session passed the login or app password (lib.ui.gate)
SESSION_ID = "session_id"  # this browser session's random id: the owner of a visitor with no identity
PROFILE_LOADED = "profile_loaded"  # the profile this session applied last (Setup, or ?profile= on any page)


def dotenv_path() -> Path:
    """The .env file of the directory the app was started in."""
    return Path.cwd() / DOTENV_NAME


def ready_settings() -> Settings:
    """The settings, when they are enough to talk to the API; otherwise off to Setup with the reason."""
    return _page().ready().settings


def _page() -> Any:
    # lib.ui.context builds on this module; its page context answers the accessors below when called bare.
    from lib.ui import context

    return context


def session_settings() -> dict[str, Any]:
    """The settings chosen in this session (mutable)."""
    return st.session_state.setdefault(SETTINGS, {})


def configured_settings(chosen: dict[str, Any] | None = None) -> Settings:
    """Settings as configured (with `chosen` over this session's), the owner's key included: for the
    gate, not for making clients."""
    dotenv = dotenv_values(dotenv_path()) if dotenv_path().exists() else {}
    return resolve(
        session_settings() | (chosen or {}),
        secrets_dict(lambda: st.secrets),
        os.environ,
        dotenv,
        on_localhost=served_on_localhost(),
    )


def settings(chosen: dict[str, Any] | None = None) -> Settings:
    """Settings resolved for this session: session > secrets > environment > .env > defaults.

    Without `chosen`, this run's (lib.ui.context: resolved once per run). `chosen` are values edited but
    not saved yet (Setup's Check key): they go through the same resolve(), so an edited endpoint never gets
    the owner's key. In shared mode the owner's key is left out until this session has passed the gate.
    """
    if chosen is None:
        return _page().page().settings
    return for_session(configured_settings(chosen))


def for_session(configured: Settings) -> Settings:
    """Configured settings as this session may use them: the owner's key only past the gate, and in shared
    mode the safety identifier."""
    current = configured
    if owner_key_in_use(current) and not st.session_state.get(ACCESS):
        current = without_owner_key(current)
    if current.mode != "shared":
        return current
    return replace(current, safety_identifier=identity(current).safety_identifier)


def client(current: Settings | None = None) -> OpenAI:
    """This session's client for the current settings."""
    if current is None:
        return _page().page().client
    cache: ClientCache = st.session_state.setdefault(CLIENTS, ClientCache())
    return cache.get(current)


def transcript() -> list[Turn]:
    """The turns shown in the chat."""
    return st.session_state.setdefault(TRANSCRIPT, [])


def thread() -> Thread:
    """The server-side thread of the current chat."""
    return st.session_state.setdefault(THREAD, Thread())


def new_chat() -> None:
    """Forget the current chat (the server keeps it) and clear the URL."""
    # A turn still being written goes on in its thread and is recorded; it just leaves this page.
    st.session_state.pop(JOB, None)
    st.session_state[TRANSCRIPT] = []
    st.session_state[THREAD] = Thread()
    st.session_state.pop(SHOW_ALL, None)
    st.query_params.clear()


def flash(message: str, level: Literal["info", "success", "warning", "error"] = "info") -> None:
    """Show `message` once, at the top of the next page drawn (st.info, st.success, ... by `level`)."""
    st.session_state[FLASH] = (level, message)


def show_flash() -> None:
    """Draw the pending flash message, if any."""
    if pending := st.session_state.pop(FLASH, None):
        level, message = pending
        getattr(st, level)(message)


def peer_ip() -> str | None:
    """The TCP peer of this session's websocket, which the page cannot forge; None when unknown."""
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    try:  # st.context.ip_address hides loopback peers as None, so ask the session's client directly
        ctx = get_script_run_ctx()
        client = runtime.get_instance().get_client(ctx.session_id) if ctx and runtime.exists() else None
        peer = getattr(getattr(client, "client_context", None), "remote_ip", None)
    except Exception:  # noqa: BLE001 - internals may move; unknown then, as in tests
        return None
    return peer if isinstance(peer, str) else None


def served_on_localhost() -> bool:
    """True when the browser reached the app on this machine (or there is no browser, as in tests)."""
    return is_local(st.context.url, peer_ip())


def can_save_dotenv(current: Settings) -> bool:
    """Saving the key to .env is for one person on their own machine only."""
    return current.mode == "local" and served_on_localhost()


@st.cache_resource(show_spinner=False)
def _history_store(url: str, ttl_minutes: int | None) -> HistoryStore:
    # One store per process is right: it holds no key, and every query takes the owner.
    return HistoryStore(url, ttl_minutes=ttl_minutes)


def history(current: Settings | None = None) -> HistoryStore:
    """The history store named by HISTORY_DATABASE_URL (SQLite under .data/ by default)."""
    if current is None:
        return _page().page().store
    return _history_store(current.history_url or default_url(Path.cwd()), current.ttl_minutes)


def session_id() -> str:
    """This browser session's random id; a reload or another tab gets another."""
    return st.session_state.setdefault(SESSION_ID, uuid.uuid4().hex)


def login_claims() -> Mapping[str, Any]:
    """The signed-in user's claims from Streamlit's login; empty when nobody is signed in."""
    try:  # st.user.get, not the attribute: without [auth] the attribute raises
        return st.user if st.user.get("is_logged_in") else {}
    except Exception:  # noqa: BLE001 - no [auth] configured, or no browser session
        return {}


def identity(current: Settings | None = None) -> Identity:
    """Who this session is (lib.identity.identify): the one answer every page, the gate and the store use."""
    if current is None:
        return _page().page().identity
    found = identify(login_claims(), current.api_key, mode=current.mode, session_id=session_id())
    # A signed-in account that is no identity is stopped at the gate; until then it is nobody in particular.
    return found or Identity(ANONYMOUS + session_id(), durable=False)


def owner(current: Settings | None = None) -> str:
    """Whose history, profiles and share links this session sees: identity(current).owner."""
    return identity(current).owner
