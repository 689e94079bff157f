"""Who a session is: one rule from the login claims, the key, the mode and a per-session id. No Streamlit."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ANONYMOUS = "anon:"  # owner prefix of a visitor with no identity of their own: one browser session
NO_KEY = "no-key"  # what a key-less local server's one person is keyed on (their history predates this module)
# Keys people type for servers that check none: they name nobody, so they cannot keep anyone's data apart.
PLACEHOLDER_KEYS = frozenset(
    {
        "empty",
        "ollama",
        "none",
        "null",
        "dummy",
        "no-key",
        "nokey",
        "no_key",
        "not-needed",
        "notneeded",
        "sk-no-key-required",
        "lm-studio",
        "lmstudio",
        "vllm",
        "llama.cpp",
        "local",
        "key",
        "apikey",
        "api-key",
        "test",
        "token",
        "secret",
        "password",
        "changeme",
        "sk-xxx",
        "sk-xxxx",
        "sk-dummy",
        "sk-test",
        "sk-1234",
        "fake",
        "anything",
        "x",
        "xxx",
    }
)
MIN_KEY_LENGTH = 12  # shorter "keys" are guessable, so a visitor could step into another's history with one
UNVERIFIED = (
    "This account's e-mail address is not verified by the login provider, so this app cannot tell "
    "who you are. Verify it with your provider, then sign in again."
)
NO_EMAIL = "The login provider did not tell this app your e-mail address, so it cannot tell who you are."


@dataclass(frozen=True)
class Identity:
    """Whose history, profiles and share links a session sees, and whether anything may be kept for it."""

    owner: str  # "user:<e-mail>", "key:<hash>", or "anon:<session id>"
    durable: bool  # a person who comes back as the same owner: profiles and history rows are kept

    @property
    def safety_identifier(self) -> str:
        """The id sent to the API to attribute abuse to this person: a hash, never the e-mail or key."""
        return "rs-" + hashlib.sha256(("safety:" + self.owner).encode()).hexdigest()[:40]


def key_fingerprint(api_key: str) -> str:
    """A short, stable fingerprint of a key: safe to log, cache on, compare and own rows by."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


def owner_for(user_email: str | None, api_key: str | None) -> str:
    """The owner string of a verified e-mail, else of a key (a short hash, never the key)."""
    if user_email and user_email.strip():
        return "user:" + user_email.strip().lower()
    if api_key:
        return "key:" + key_fingerprint(api_key)
    raise ValueError("no owner: neither a signed-in user nor an API key")


def local_owner(api_key: str | None) -> str:
    """The owner on a one-person local install: the key's, or one shared key-less owner."""
    return owner_for(None, api_key or NO_KEY)


def _flag(value: Any) -> bool | None:
    """A claim that may arrive as a bool or as text; None when absent."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def signed_in(claims: Mapping[str, Any] | None) -> bool:
    """True when the login claims say someone is signed in."""
    return bool(claims) and _flag(claims.get("is_logged_in")) is True  # type: ignore[union-attr]


def login_refusal(claims: Mapping[str, Any] | None) -> str | None:
    """Why a signed-in account cannot be an identity here (no e-mail, or one marked unverified); else None."""
    if not signed_in(claims):
        return None
    assert claims is not None
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        return NO_EMAIL
    # Providers that do not send the claim (some never do) are trusted for their e-mail; a provider that
    # says "not verified" means anyone could have typed that address.
    if _flag(claims.get("email_verified")) is False:
        return UNVERIFIED
    return None


def verified_email(claims: Mapping[str, Any] | None) -> str | None:
    """The signed-in e-mail, lower-cased, when it may name a person; else None."""
    if not signed_in(claims) or login_refusal(claims):
        return None
    assert claims is not None
    return str(claims["email"]).strip().lower()


def is_placeholder_key(api_key: str) -> bool:
    """A "key" that names nobody: a well-known placeholder, or too short to be a secret."""
    key = api_key.strip()
    return key.lower() in PLACEHOLDER_KEYS or len(key) < MIN_KEY_LENGTH


def identify(claims: Mapping[str, Any] | None, api_key: str, *, mode: str, session_id: str) -> Identity | None:
    """Who this session is; None for a signed-in account that may not be one (the gate refuses it).

    Shared mode: the verified e-mail, else a real key (the owner's key behind the app password makes every
    password holder one identity), else an anonymous owner of this browser session only, for which nothing
    is kept. Local mode: one person, so a key-less server keeps one shared owner.
    """
    if signed_in(claims):
        email = verified_email(claims)
        return Identity(owner_for(email, None), durable=True) if email else None
    if mode != "shared":
        return Identity(local_owner(api_key), durable=True)
    if api_key and not is_placeholder_key(api_key):
        return Identity(owner_for(None, api_key), durable=True)
    if not session_id:
        raise ValueError("an anonymous visitor needs a session id")
    return Identity(ANONYMOUS + session_id, durable=False)


# What an anonymous visitor is told where something would be kept for a person.
PROFILES_NOT_KEPT = (
    "Profiles are kept only for a signed-in person or for a key of your own. This session has "
    "neither (no key, or a placeholder key such as EMPTY), so saving and importing are off."
)
PROMPTS_NOT_KEPT = (
    "Prompt templates are kept only for a signed-in person or for a key of your own. This session "
    "has neither (no key, or a placeholder key such as EMPTY), so templates are off."
)
HISTORY_NOT_KEPT = (
    "History is kept only for a signed-in person or for a key of your own. This session has "
    "neither (no key, or a placeholder key such as EMPTY), so its chats are not recorded here."
)
