"""The gate before the pages: login or app password in shared mode (the spending cap: lib/ui/budget.py)."""

from __future__ import annotations

import importlib.util
import math
import os
from collections.abc import Mapping
from typing import Any

import streamlit as st

from lib import access, identity
from lib.markup import escape_markdown
from lib.settings import secrets_dict
from lib.ui import state
from lib.ui.context import Page

# Process-wide: wrong tries are counted per caller across sessions, so a reload does not reset the wait.
THROTTLE = access.PasswordThrottle()
PASSWORD_INPUT = "gate_password"  # the password field; emptied as soon as it is read
PASSWORD_NOTE = "gate_password_note"  # what the last try said, shown once


def _auth_section() -> Mapping[str, Any]:
    """The [auth] secrets section Streamlit's st.login reads, or {}."""
    try:
        auth = st.secrets.get("auth")
    except FileNotFoundError:  # no secrets file at all
        return {}
    return auth if isinstance(auth, Mapping) else {}


def config() -> access.AccessConfig:
    """How this deployment is protected, from secrets and the environment."""
    return access.access_config(secrets_dict(lambda: st.secrets), os.environ, login=bool(_auth_section()))


def guard(page: Page) -> None:
    """Call before the pages run: pass the visitor, ask them to sign in (and stop), or warn."""
    cfg = config()
    kind = access.gate_for(page.configured, cfg)
    if kind == access.LOGIN:
        _login(cfg)
    elif kind == access.PASSWORD:
        _password()
    elif kind == access.REFUSE:
        st.error(access.REFUSAL, icon=":material/lock:")


def _login(cfg: access.AccessConfig) -> None:
    claims = state.login_claims()
    if claims:
        email = identity.verified_email(claims)
        refusal = identity.login_refusal(claims)
        if refusal is None and access.email_allowed(email, cfg.allowed_emails):
            st.session_state[state.ACCESS] = True
            with st.sidebar:
                st.caption(f"Signed in as {escape_markdown(email or 'you')}")
                st.button("Log out", icon=":material/logout:", on_click=st.logout)
            return
        st.session_state[state.ACCESS] = False
        # An unverified address is refused even if it is on the list: anyone could have typed it.
        st.error(
            refusal
            or f"{escape_markdown(email or 'This account')} may not use this app. "
            "Ask its owner to add you to ALLOWED_EMAILS."
        )
        st.button("Log out", icon=":material/logout:", on_click=st.logout)
        st.stop()
    st.session_state[state.ACCESS] = False
    st.title("Responses Studio")
    if importlib.util.find_spec("authlib") is None:
        st.error(
            "Login is configured ([auth] in the secrets) but Authlib is not installed: "
            "add `streamlit[auth]` to the app's dependencies."
        )
        st.stop()
    st.caption("Sign in to use this app.")
    auth = _auth_section()
    named = [name for name, value in auth.items() if isinstance(value, Mapping)]
    if "client_id" in auth or not named:
        st.button("Log in", type="primary", icon=":material/login:", on_click=st.login)
    for provider in named:
        st.button(f"Log in with {provider.title()}", key=f"gate_login_{provider}", on_click=st.login, args=(provider,))
    st.stop()


def _password() -> None:
    if st.session_state.get(state.ACCESS):
        return
    st.title("Responses Studio")
    st.caption("This app is shared: enter the password its owner gave you.")
    # A form, not a dialog: Enter submits, and AppTest can press its button.
    with st.form("gate_password_form", border=False):
        st.text_input("App password", type="password", key=PASSWORD_INPUT, autocomplete="current-password")
        st.form_submit_button("Enter", type="primary", icon=":material/lock_open:", on_click=_try_password)
    if note := st.session_state.pop(PASSWORD_NOTE, None):
        st.error(note)
    st.stop()


def _try_password() -> None:
    attempt = st.session_state.get(PASSWORD_INPUT) or ""
    st.session_state[PASSWORD_INPUT] = ""  # never kept, never sent back to the browser
    ip = st.context.ip_address
    caller = access.throttle_caller(ip if isinstance(ip, str) else None, state.peer_ip(), state.session_id())
    result = THROTTLE.attempt(caller, attempt, config().password)
    if result.ok:
        st.session_state[state.ACCESS] = True
    elif not result.checked:
        st.session_state[PASSWORD_NOTE] = f"Too many wrong tries: wait {math.ceil(result.wait_s)} s, then try again."
    else:
        st.session_state[PASSWORD_NOTE] = f"Wrong password. The next try is looked at in {math.ceil(result.wait_s)} s."


def can_open(page: Page, stored_owner: str | None) -> bool:
    """May this session open a chat recorded under `stored_owner` (None: not in the store)?"""
    return access.may_open(page.owner, stored_owner, shared=page.settings.mode == "shared")
