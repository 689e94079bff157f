"""Helpers for tests that attack a shared deployment the way a visitor would."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from lib.ui import gate
from tests.app.actions import click
from tests.fake_openai import FakeOpenAI
from tests.fake_openai.auth import request_key

OWNER_KEY = "sk-owner-secret-key-7f3a9c"
VISITOR_KEY = "sk-visitor-own-key-51d2"
PASSWORD = "tr0ub4dor-and-3"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "c" * 32,
    "client_id": "id",
    "client_secret": "s",
    "server_metadata_url": "https://accounts.example.com/.well-known/openid-configuration",
}


class Clock:
    """A clock the test moves by hand (CLOCK.now += …) instead of sleeping."""

    now = 1_000.0

    def __call__(self) -> float:
        return self.now


CLOCK = Clock()


def tree_text(at: AppTest) -> str:
    """Everything the app sent to the browser: every element's proto and every widget's value."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if getattr(node, "proto", None) is not None:
            parts.append(str(node.proto))
        try:
            parts.append(repr(node.value))
        except Exception:  # noqa: BLE001 - most nodes have no value
            pass
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def alerts(at: AppTest) -> str:
    """The text of every error, warning and info box."""
    return "\n".join(e.value for e in [*at.error, *at.warning, *at.info])


def keys_seen(server: FakeOpenAI) -> set[str]:
    """Every key that reached this server, in any header the SDK sends one in."""
    return {request_key(r.headers) for r in server.requests} - {""}


def owner_app(app: Any, monkeypatch: pytest.MonkeyPatch, where: str = "secrets", **secrets: Any) -> AppTest:
    """The app with the owner's key in st.secrets (plus `secrets`), or in the environment only."""
    at = app()
    if where == "secrets":
        at.secrets["OPENAI_API_KEY"] = OWNER_KEY
    else:  # what Streamlit does with top-level secrets: copies them into os.environ
        monkeypatch.setenv("OPENAI_API_KEY", OWNER_KEY)
    for name, value in secrets.items():
        at.secrets[name] = value
    return at


def enter_password(at: AppTest, password: str = PASSWORD) -> AppTest:
    """Type the app password on the gate and press Enter."""
    at.text_input(key=gate.PASSWORD_INPUT).set_value(password)
    return click(at, "Enter")


def signed_in(at: AppTest, email: str, **claims: Any) -> AppTest:
    """The app behind Streamlit login, with `email` signed in (e-mail verified unless the claims say not)."""
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": email, "email_verified": True, "sub": f"sub-{email}", **claims}
    return at
