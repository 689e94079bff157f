"""Who may use the app and the owner's key: pure rules, no Streamlit (how much of it: lib/budget.py)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from lib.settings import Settings
from lib.urls import mask_url

# What the gate asks of a visitor before the pages run.
OPEN, LOGIN, PASSWORD, REFUSE = "open", "login", "password", "refuse"

REFUSAL = (
    "This app has an OpenAI key of its own but nothing that protects it, so it will not use it. "
    "Owner: add an `[auth]` section (Streamlit login) or `APP_PASSWORD` to the app's secrets. "
    "Visitors: add your own key on Setup; it stays in your browser session."
)
NOT_YOURS = "That chat belongs to someone else, or is not known to this app; it was not opened."


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip.split("%")[0]).is_loopback
    except ValueError:
        return False


def is_local(url: str | None, peer_ip: str | None) -> bool:
    """Served to a browser on this machine: the URL it shows names localhost and the connection's peer
    is loopback. The URL alone is not enough: the browser (or a script posing as one) sends it; the peer
    address comes from the TCP connection itself. Fails closed: a browser whose peer is unknown is shared."""
    if peer_ip is None:
        return not url  # no browser at all (a local client, or a test); a browser must show its peer
    if not _loopback(peer_ip):
        return False
    if not url:
        return True
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return host in LOCAL_HOSTS or host.endswith(".localhost")


@dataclass(frozen=True)
class AccessConfig:
    """How a shared deployment is protected; read from secrets, then the environment."""

    password: str = field(default="", repr=False)
    login: bool = False  # an [auth] section is configured: Streamlit's st.login
    allowed_emails: tuple[str, ...] = ()  # addresses, or "@domain" for a whole domain; empty: anyone signed in
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)


def access_config(secrets: Mapping[str, Any], environ: Mapping[str, str], *, login: bool) -> AccessConfig:
    """The password and allowed e-mails from the first layer that has each (the budget: lib/budget.py)."""
    found: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name in ("APP_PASSWORD", "ALLOWED_EMAILS"):
        for label, layer in (("secrets", secrets), ("environment", environ)):
            value = layer.get(name)
            if value is not None and str(value).strip():
                found[name], sources[name] = value, label
                break
    emails = found.get("ALLOWED_EMAILS", "")
    if isinstance(emails, str):
        emails = emails.replace(";", ",").split(",")
    return AccessConfig(
        password=str(found.get("APP_PASSWORD", "")),
        login=login,
        allowed_emails=tuple(e.strip().lower() for e in emails if str(e).strip()),
        sources=sources,
    )


def owner_key_in_use(settings: Settings) -> bool:
    """In shared mode any key the visitor did not type (secrets, environment, .env) is the owner's."""
    return settings.mode == "shared" and bool(settings.api_key) and settings.source_of("api_key") != "session"


def without_owner_key(settings: Settings) -> Settings:
    """The settings with the owner's key taken out, marked as withheld."""
    return replace(settings, api_key="", sources=dict(settings.sources) | {"api_key": "withheld"})


def gate_for(settings: Settings, config: AccessConfig) -> str:
    """What the visitor must pass: login, password, nothing, or a refusal to use the owner's key."""
    if settings.mode != "shared":
        return OPEN
    if config.login:
        return LOGIN
    if config.password:
        return PASSWORD
    if owner_key_in_use(settings):
        return REFUSE
    return OPEN  # every visitor brings their own key


def email_allowed(email: str | None, allowed: tuple[str, ...]) -> bool:
    """Anyone signed in when no list is set; else the address or its @domain must be listed."""
    if not email:
        return not allowed
    if not allowed:
        return True
    email = email.strip().lower()
    return email in allowed or ("@" + email.rpartition("@")[2]) in allowed


def password_matches(attempt: str, expected: str) -> bool:
    """Constant-time check; hashing first means neither the content nor the length leaks."""
    if not expected:
        return False
    return hmac.compare_digest(hashlib.sha256(attempt.encode()).digest(), hashlib.sha256(expected.encode()).digest())


@dataclass(frozen=True)
class Attempt:
    """The outcome of one password try."""

    ok: bool
    wait_s: float = 0.0  # seconds before the next try is looked at
    checked: bool = True  # False when the try came too soon and was not compared at all


def throttle_caller(context_ip: str | None, peer_ip: str | None, session_id: str) -> str:
    """Whose wrong tries count together: the visitor's address, else this browser session.

    A loopback peer is a proxy on this host (or one person on their own machine): everyone behind it
    would share one wait, so one guesser would lock everyone out. The process-wide guard covers reloads.
    """
    for ip in (context_ip, peer_ip):
        if ip and not _loopback(ip):
            return "ip:" + ip
    return "session:" + session_id


class PasswordThrottle:
    """Wrong tries per caller, each doubling the wait before the next try is even compared; and a
    process-wide allowance of wrong tries, so that many callers (or reloads) together are slowed too.

    Per caller and process-wide on purpose: a reload starts a new session, so counting per session would
    let a guesser reset the wait by reloading. The shared allowance (`global_burst` wrong tries, then one
    more every `global_every_s`) is far above what people mistyping use, and when a distributed guesser
    has spent it, everyone's next try waits at most `global_every_s`: slowed, never locked out.
    """

    def __init__(
        self,
        base_s: float = 1.0,
        max_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        global_burst: int = 30,
        global_every_s: float = 2.0,
    ):
        self.base_s, self.max_s, self._clock = base_s, max_s, clock
        self.global_burst, self.global_every_s = global_burst, global_every_s
        self._lock = threading.Lock()
        self._failures: dict[str, tuple[int, float]] = {}  # caller -> (wrong tries, next try allowed at)
        self._allowance, self._refilled_at = float(global_burst), clock()

    def delay_after(self, failures: int) -> float:
        """The wait after `failures` wrong tries in a row: base, 2×base, 4×base, … up to max."""
        return 0.0 if failures <= 0 else min(self.base_s * 2 ** (failures - 1), self.max_s)

    def _refill(self, now: float) -> None:
        gained = (now - self._refilled_at) / self.global_every_s
        self._allowance = min(self._allowance + gained, float(self.global_burst))
        self._refilled_at = now

    def attempt(self, caller: str, attempt: str, expected: str) -> Attempt:
        """Compare a try unless it came too soon; a wrong one makes the next wait longer."""
        with self._lock:
            now = self._clock()
            failures, allowed_at = self._failures.get(caller, (0, 0.0))
            if now < allowed_at:
                return Attempt(ok=False, wait_s=allowed_at - now, checked=False)
            self._refill(now)
            if self._allowance < 1.0:  # many wrong tries from everywhere: one compare per global_every_s
                return Attempt(ok=False, wait_s=(1.0 - self._allowance) * self.global_every_s, checked=False)
            if password_matches(attempt, expected):
                self._failures.pop(caller, None)
                return Attempt(ok=True)
            self._allowance -= 1.0
            failures += 1
            wait = self.delay_after(failures)
            self._failures[caller] = (failures, now + wait)
            if len(self._failures) > 10_000:  # forget callers whose wait is long over
                self._failures = {k: v for k, v in self._failures.items() if v[1] > now - 3600}
            return Attempt(ok=False, wait_s=wait)


def may_open(viewer: str | None, stored_owner: str | None, *, shared: bool) -> bool:
    """A chat opens from a link only for its owner; a local, single-person app opens any."""
    if not shared:
        return True
    return bool(viewer and stored_owner) and hmac.compare_digest(str(viewer), str(stored_owner))


def describe_sources(settings: Settings, config: AccessConfig) -> list[dict[str, str]]:
    """Rows of setting, value and origin for the Setup page; secrets are never shown."""
    key = settings.api_key
    if not key:
        key_value = "withheld" if settings.source_of("api_key") == "withheld" else "not set"
    elif settings.source_of("api_key") == "session":
        key_value = f"…{key[-4:]}" if len(key) > 8 else "set"
    else:
        key_value = "the app's key"  # not even its last characters: visitors must not learn it
    rows = [
        ("Mode", settings.mode, settings.source_of("mode")),
        ("API key", key_value, settings.source_of("api_key")),
        ("Base URL", mask_url(settings.endpoint), settings.source_of(settings.endpoint_field)),
        ("Model", settings.model, settings.source_of("model")),
        (
            "History database",
            mask_url(settings.history_url) if settings.history_url else "SQLite under .data/",
            settings.source_of("history_url"),
        ),
        ("Login", "Streamlit login ([auth])" if config.login else "not configured", "secrets" if config.login else ""),
        ("App password", "set" if config.password else "not set", config.sources.get("APP_PASSWORD", "")),
    ]
    return [{"Setting": name, "Value": value, "From": origin or "default"} for name, value, origin in rows]
