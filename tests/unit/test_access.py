"""Access rules: mode, who passes the gate, the password check and its throttle, the budget, ownership."""

from __future__ import annotations

import pytest

from lib import access
from lib.access import AccessConfig, PasswordThrottle
from lib.settings import Settings, resolve

OWNER_KEY = "sk-owner-key-0123456789"


def shared(**env: str) -> Settings:
    return resolve({}, {}, {"APP_MODE": "shared", **env}, {})


# --- mode ---------------------------------------------------------------------------------------------


def test_mode_is_local_only_on_localhost_without_app_mode() -> None:
    assert resolve({}, {}, {}, {}).mode == "local"
    assert resolve({}, {}, {}, {}, on_localhost=False).mode == "shared"
    remote = resolve({}, {}, {"APP_MODE": "local"}, {}, on_localhost=False)
    assert (remote.mode, remote.source_of("mode")) == ("shared", "server address")
    assert resolve({}, {"APP_MODE": "Shared"}, {}, {}).source_of("mode") == "secrets"
    assert resolve({}, {"APP_MODE": "Shared"}, {}, {}).mode == "shared"


def test_local_needs_a_localhost_url_and_a_loopback_peer() -> None:
    assert access.is_local(None, None)  # no browser: a test, or a local client
    # issue 12 item 16: a browser whose peer cannot be read is shared (fails closed); was local before
    assert not access.is_local("http://localhost:8501", None)
    assert access.is_local("http://localhost:8501", "127.0.0.1")
    assert access.is_local("http://127.0.0.1:8501/", "127.0.0.1")
    assert access.is_local("http://[::1]:8501", "::1")
    assert not access.is_local("https://team.streamlit.app", None)
    assert not access.is_local("https://team.streamlit.app", "127.0.0.1")  # behind a proxy on this host
    assert not access.is_local("http://localhost:8501", "203.0.113.9")  # a forged URL from afar
    assert not access.is_local(None, "10.0.0.7")
    assert not access.is_local("http://localhost:8501", "not-an-ip")


def test_a_visitor_cannot_choose_the_mode() -> None:
    assert resolve({"mode": "local"}, {}, {"APP_MODE": "shared"}, {}).mode == "shared"


def test_unknown_mode_names_the_setting() -> None:
    with pytest.raises(ValueError, match="APP_MODE must be local or shared"):
        resolve({}, {}, {"APP_MODE": "public"}, {})


# --- the gate -----------------------------------------------------------------------------------------


def test_any_key_not_typed_by_the_visitor_is_the_owners_in_shared_mode() -> None:
    for layer in ("secrets", "environment", ".env"):
        layers = {"secrets": {}, "environment": {"APP_MODE": "shared"}, ".env": {}}
        layers[layer] = {**layers[layer], "OPENAI_API_KEY": OWNER_KEY}
        current = resolve({}, layers["secrets"], layers["environment"], layers[".env"])
        assert access.owner_key_in_use(current), layer
    assert not access.owner_key_in_use(
        resolve({"api_key": "sk-mine"}, {}, {"APP_MODE": "shared", "OPENAI_API_KEY": OWNER_KEY}, {})
    )
    assert not access.owner_key_in_use(resolve({}, {}, {"OPENAI_API_KEY": OWNER_KEY}, {}))  # local


def test_gate_for_each_configuration() -> None:
    owner = shared(OPENAI_API_KEY=OWNER_KEY)
    byok = shared()
    assert access.gate_for(resolve({}, {}, {"OPENAI_API_KEY": OWNER_KEY}, {}), AccessConfig()) == access.OPEN
    assert access.gate_for(owner, AccessConfig()) == access.REFUSE
    assert access.gate_for(owner, AccessConfig(password="pw")) == access.PASSWORD
    assert access.gate_for(owner, AccessConfig(password="pw", login=True)) == access.LOGIN
    assert access.gate_for(byok, AccessConfig()) == access.OPEN
    assert access.gate_for(byok, AccessConfig(password="pw")) == access.PASSWORD


def test_withheld_key_is_gone_and_says_so() -> None:
    withheld = access.without_owner_key(shared(OPENAI_API_KEY=OWNER_KEY))
    assert withheld.api_key == "" and withheld.source_of("api_key") == "withheld"
    assert not access.owner_key_in_use(withheld)


def test_access_config_reads_secrets_then_environment_and_hides_the_password() -> None:
    cfg = access.access_config(
        {"APP_PASSWORD": "open sesame"},
        {"APP_PASSWORD": "env-pw", "ALLOWED_EMAILS": "Ann@Example.com; @team.org"},
        login=False,
    )
    assert cfg.password == "open sesame"
    assert cfg.allowed_emails == ("ann@example.com", "@team.org")
    assert cfg.sources == {"APP_PASSWORD": "secrets", "ALLOWED_EMAILS": "environment"}
    assert "open sesame" not in repr(cfg)


def test_allowed_emails() -> None:
    allowed = ("ann@example.com", "@team.org")
    assert access.email_allowed("Ann@Example.com", allowed)
    assert access.email_allowed("bob@team.org", allowed)
    assert not access.email_allowed("eve@evil.org", allowed)
    assert not access.email_allowed("eve@nottheteam.org", allowed)
    assert access.email_allowed("anyone@anywhere.org", ())
    assert not access.email_allowed(None, allowed)


# --- the password -------------------------------------------------------------------------------------


def test_password_match_is_exact() -> None:
    assert access.password_matches("correct horse", "correct horse")
    assert not access.password_matches("correct hors", "correct horse")
    assert not access.password_matches("", "")  # no password configured never matches


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_wrong_try_doubles_the_wait_and_early_tries_are_not_compared() -> None:
    clock = Clock()
    throttle = PasswordThrottle(base_s=1.0, max_s=5.0, clock=clock)
    assert [throttle.delay_after(n) for n in range(6)] == [0.0, 1.0, 2.0, 4.0, 5.0, 5.0]
    first = throttle.attempt("1.2.3.4", "guess", "secret")
    assert (first.ok, first.checked, first.wait_s) == (False, True, 1.0)
    too_soon = throttle.attempt("1.2.3.4", "secret", "secret")  # right, but before the wait is over
    assert (too_soon.ok, too_soon.checked) == (False, False)
    assert throttle.attempt("5.6.7.8", "secret", "secret").ok  # other callers are not held up
    clock.now += 1.0
    assert throttle.attempt("1.2.3.4", "guess2", "secret").wait_s == 2.0
    clock.now += 2.0
    assert throttle.attempt("1.2.3.4", "secret", "secret").ok
    again = throttle.attempt("1.2.3.4", "guess3", "secret")  # at once: a success leaves no wait behind
    assert (again.checked, again.wait_s) == (True, 1.0)  # and starts the count again


# --- ownership and display ----------------------------------------------------------------------------


def test_a_shared_chat_opens_only_for_its_owner() -> None:
    assert access.may_open("user:ann@example.com", "user:ann@example.com", shared=True)
    assert not access.may_open("user:bob@example.com", "user:ann@example.com", shared=True)
    assert not access.may_open("user:bob@example.com", None, shared=True)  # unknown to the store
    assert not access.may_open(None, "user:ann@example.com", shared=True)
    assert access.may_open(None, None, shared=False)  # one person on their own machine


def test_sources_table_shows_no_secret() -> None:
    current = resolve(
        {},
        {"OPENAI_API_KEY": OWNER_KEY, "APP_MODE": "shared"},
        {"HISTORY_DATABASE_URL": "postgresql://app:db-pass-123@db:5432/h"},
        {},
    )
    cfg = access.access_config({"APP_PASSWORD": "pw-secret-42"}, {}, login=False)
    rows = access.describe_sources(current, cfg)
    text = repr(rows)
    for secret in (OWNER_KEY, OWNER_KEY[-4:], "pw-secret-42", "db-pass-123"):
        assert secret not in text
    by_name = {row["Setting"]: row for row in rows}
    assert by_name["Mode"] == {"Setting": "Mode", "Value": "shared", "From": "secrets"}
    assert by_name["API key"]["Value"] == "the app's key" and by_name["API key"]["From"] == "secrets"
    assert by_name["App password"] == {"Setting": "App password", "Value": "set", "From": "secrets"}
    assert by_name["History database"]["Value"] == "postgresql://***@db:5432/h"  # the whole userinfo
