"""Who a session is, attacked: planted profiles, shared key-less history, MCP headers, logins, the throttle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lib import access, identity
from lib.access import PasswordThrottle
from lib.profile_format import to_data
from lib.settings import Settings
from lib.store import HistoryStore, owner_for
from lib.tools import McpServer, ToolSettings
from lib.ui import state
from tests.app.actions import button, click, send_message, uploader
from tests.app.conftest import APP_KEY
from tests.fake_openai import FakeOpenAI, Text
from tests.security.attack import (
    CLOCK,
    PASSWORD,
    VISITOR_KEY,
    alerts,
    enter_password,
    keys_seen,
    owner_app,
    signed_in,
    tree_text,
)

MCP_TOKEN = "Bearer victim-mcp-token-93e1"


def store_of(env: Path) -> HistoryStore:
    return HistoryStore(f"sqlite:///{env / 'history.db'}")


def setup_page(at):
    return at.switch_page("app_pages/setup.py").run()


def save_key(at, key: str, *, base_url: str | None = None):
    """On Setup, type a key (and a Base URL) and press Save, as a visitor does."""
    at = setup_page(at)
    at.text_input[0].set_value(key)
    if base_url is not None:
        next(t for t in at.text_input if t.label == "Base URL").set_value(base_url)
    click(at, "Save")
    return at.switch_page("app_pages/chat.py").run()


def profile_names(env: Path) -> list[tuple[str, str]]:
    """Every stored profile as (owner, name)."""
    from sqlalchemy import select

    from lib.store.schema import profiles

    with store_of(env).engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(profiles.c.owner, profiles.c.name))]


# --- a planted profile ---------------------------------------------------------------------------------


def test_a_planted_profile_cannot_steal_the_next_visitors_key(app, shared_env, clean_env, spy) -> None:
    shared_env.queue(Text("Answered by the app's endpoint."))
    # The attacker, with no key, points the session at their server and saves it as the shipped "assistant".
    attacker = app().run()
    attacker = setup_page(attacker)
    next(t for t in attacker.text_input if t.label == "Base URL").set_value(spy.base_url)
    click(attacker, "Save")
    attacker = setup_page(attacker)
    assert identity.PROFILES_NOT_KEPT in alerts(attacker)
    assert attacker.text_input(key="profile_name").disabled and button(attacker, "Save profile").disabled
    assert not attacker.get("file_uploader")  # no import either
    with pytest.raises(ValueError):  # and the store itself keeps nothing for an anonymous owner
        store_of(clean_env).profiles.save(identity.ANONYMOUS + "x", "assistant", {"format": 1})
    assert profile_names(clean_env) == []

    # The victim opens the shipped profile by its link, adds their own key and chats.
    victim = app(profile="assistant").run()
    victim = save_key(victim, VISITOR_KEY)
    send_message(victim, "Hello")
    assert victim.chat_message[1].markdown[0].value == "Answered by the app's endpoint."
    assert keys_seen(spy) == set()
    assert keys_seen(shared_env) == {VISITOR_KEY}


def test_a_shipped_name_cannot_be_taken_even_by_someone_with_a_key(app, configured, clean_env) -> None:
    at = setup_page(app().run())
    at.text_input(key="profile_name").set_value("Assistant").run()
    click(at, "Save profile")
    assert "comes with the app" in at.error[0].value
    data = json.dumps({"format": 1, "name": "assistant", "model": "o3", "base_url": "https://evil.example/v1"})
    uploader(at, "profile_import").upload("planted.json", data.encode(), "application/json").run()
    click(at, "Import")
    assert "comes with the app" in at.error[0].value
    assert profile_names(clean_env) == []


def test_a_link_prefers_the_shipped_profile_over_a_saved_one_of_that_name(app, configured, clean_env) -> None:
    # Saved before shipped names were refused: the link still opens the original.
    store_of(clean_env).profiles.save(
        owner_for(None, APP_KEY), "assistant", to_data(Settings(model="o3", base_url="https://evil.example/v1"))
    )
    at = app(profile="assistant").run()
    send_message(at, "Hi")
    body = configured.response_requests()[0]
    assert body["model"] == "gpt-5-mini" and body["tools"] == [{"type": "web_search", "search_context_size": "medium"}]


def test_a_profile_opened_by_link_keeps_the_apps_endpoint(app, shared_env, monkeypatch, clean_env, spy) -> None:
    """Everyone behind one app password is one identity: one of them plants a profile for the others."""
    shared_env.queue(Text("Still the app's endpoint."))
    attacker = enter_password(owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD).run())
    attacker = setup_page(attacker)
    planted = {
        "format": 1,
        "name": "team-demo",
        "model": "gpt-5-mini",
        "provider": "compatible",
        "base_url": spy.base_url,
        "instructions": "Be brief.",
    }
    uploader(attacker, "profile_import").upload(
        "team-demo.json", json.dumps(planted).encode(), "application/json"
    ).run()
    click(attacker, "Import")
    assert [name for _, name in profile_names(clean_env)] == ["team-demo"]

    CLOCK.now += 100
    victim = owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD)
    victim.query_params["profile"] = "team-demo"
    victim = enter_password(victim.run())
    note = alerts(victim).replace("\\", "")
    assert "127.0.0.1" in note and "keeps this app's endpoint" in note
    victim = save_key(victim, VISITOR_KEY)
    # A visitor's own key goes to the endpoint they chose themselves (here the double, allowed on loopback),
    # never to the one the profile named.
    monkeypatch.setenv("ALLOWED_BASE_URLS", shared_env.base_url)
    victim.session_state[state.SETTINGS] = {**victim.session_state[state.SETTINGS], "base_url": shared_env.base_url}
    send_message(victim, "Hi")
    assert victim.chat_message[1].markdown[0].value == "Still the app's endpoint."
    assert shared_env.response_requests()[0]["instructions"] == "Be brief."  # the rest of the profile applies
    assert keys_seen(spy) == set()
    assert spy.requests == []


# --- key-less visitors ---------------------------------------------------------------------------------


@pytest.fixture
def compatible(shared_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    """A shared deployment in front of an OpenAI-compatible server that needs no key."""
    monkeypatch.setenv("OPENAI_PROVIDER", "compatible")
    return shared_env


@pytest.mark.parametrize("key", ["", "EMPTY", "ollama"])
def test_key_less_visitors_do_not_see_each_others_chats(app, compatible, key) -> None:
    compatible.queue(Text("Ann's answer about the merger."), Text("Hello Bob."))
    ann = app().run() if not key else save_key(app().run(), key)
    send_message(ann, "Secret merger plan")
    assert ann.chat_message[1].markdown[0].value == "Ann's answer about the merger."
    conversation = ann.query_params["conversation"]
    assert "Share this chat" not in tree_text(ann)  # a link that would open for nobody is not offered

    bob = app().run() if not key else save_key(app().run(), key)
    assert "merger" not in tree_text(bob).lower()  # the sidebar's recent conversations
    bob.switch_page("app_pages/history.py").run()
    assert not bob.exception
    assert "merger" not in tree_text(bob).lower()
    bob.query_params["conversation"] = conversation  # Ann's link, if Bob got hold of it
    bob.switch_page("app_pages/chat.py").run()
    assert "merger" not in tree_text(bob).lower()
    ann.switch_page("app_pages/history.py").run()
    assert identity.HISTORY_NOT_KEPT in alerts(ann)


def test_a_key_less_visitor_records_nothing(app, compatible, clean_env) -> None:
    compatible.queue(Text("Noted."))
    send_message(app().run(), "Remember this")
    from lib.store import ResponseFilter

    store = store_of(clean_env)
    assert store.count_responses(ResponseFilter(owner=owner_for(None, identity.NO_KEY))) == 0
    with store.engine.connect() as conn:
        from sqlalchemy import func, select

        from lib.store.schema import responses

        assert conn.execute(select(func.count()).select_from(responses)).scalar() == 0


def test_identity_rule() -> None:
    claims = {"is_logged_in": True, "email": "Ann@Example.com", "email_verified": True}
    ann = identity.identify(claims, "", mode="shared", session_id="s1")
    assert ann == identity.Identity("user:ann@example.com", True)
    local = identity.identify({}, "", mode="local", session_id="s1")
    assert local == identity.Identity(owner_for(None, "no-key"), True)  # the owner local history always had
    assert identity.identify({}, "EMPTY", mode="local", session_id="s1").durable  # one person, their own machine
    assert identity.identify({}, "", mode="shared", session_id="s1") == identity.Identity("anon:s1", False)
    assert identity.identify({}, "ollama", mode="shared", session_id="s2").owner == "anon:s2"
    assert identity.identify({}, "sk-short", mode="shared", session_id="s3").owner == "anon:s3"
    assert identity.identify({}, VISITOR_KEY, mode="shared", session_id="s4") == identity.Identity(
        owner_for(None, VISITOR_KEY), True
    )
    assert identity.identify({**claims, "email_verified": False}, VISITOR_KEY, mode="shared", session_id="s5") is None


# --- MCP headers ---------------------------------------------------------------------------------------


def mcp_entries(fake: FakeOpenAI) -> list[dict]:
    return [t for t in fake.response_requests()[-1].get("tools", []) if t["type"] == "mcp"]


@pytest.mark.parametrize("url, kept", [("https://evil.example/sse", False), ("https://mcp.example.com/sse", True)])
def test_a_profile_moves_no_mcp_header_to_another_url(app, configured, clean_env, url, kept) -> None:
    configured.queue(Text("Done."))
    store_of(clean_env).profiles.save(
        owner_for(None, APP_KEY),
        "tools",
        to_data(Settings(tools=ToolSettings(mcp_servers=(McpServer("docs", url, require_approval="never"),)))),
    )
    at = app(profile="tools")
    mine = McpServer("docs", "https://mcp.example.com/sse", headers=(("Authorization", MCP_TOKEN),))
    at.session_state[state.SETTINGS] = {"tools": ToolSettings(mcp_servers=(mine,))}
    send_message(at.run(), "Use docs")
    (entry,) = mcp_entries(configured)
    assert entry["server_url"] == url
    assert entry.get("headers") == ({"Authorization": MCP_TOKEN} if kept else None)
    if not kept:
        assert MCP_TOKEN not in json.dumps(configured.response_requests())


# --- login ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("verified", [False, "false"])
def test_an_unverified_email_is_refused(app, shared_env, monkeypatch, verified) -> None:
    at = signed_in(
        owner_app(app, monkeypatch, ALLOWED_EMAILS="ann@example.com"), "ann@example.com", email_verified=verified
    )
    at.run()
    assert not at.exception
    assert "not verified" in at.error[0].value
    assert not at.chat_input and shared_env.requests == []
    assert at.session_state[state.ACCESS] is False


def test_a_verified_email_and_one_without_the_claim_get_in(app, shared_env, monkeypatch) -> None:
    at = signed_in(owner_app(app, monkeypatch, ALLOWED_EMAILS="@example.com"), "ann@example.com").run()
    assert len(at.chat_input) == 1
    at.user = {"is_logged_in": True, "email": "bob@example.com"}  # providers that never send the claim
    assert len(at.run().chat_input) == 1


# --- the password throttle -----------------------------------------------------------------------------


def test_one_guesser_does_not_lock_out_other_sessions(app, shared_env, monkeypatch) -> None:
    """With no address to read (localhost, a proxy), each browser session has its own wait."""
    guesser = owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD).run()
    for guess in ("a", "b", "c"):
        guesser = enter_password(guesser, guess)
        CLOCK.now += 0.1
    assert "Too many wrong tries" in guesser.error[0].value
    visitor = enter_password(owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD).run())
    assert not visitor.error and len(visitor.chat_input) == 1


def test_throttle_caller_is_the_address_else_the_session() -> None:
    assert access.throttle_caller("203.0.113.9", None, "s1") == "ip:203.0.113.9"
    assert access.throttle_caller(None, "198.51.100.7", "s1") == "ip:198.51.100.7"
    assert access.throttle_caller(None, "127.0.0.1", "s1") == "session:s1"  # a proxy on this host: all look alike
    assert access.throttle_caller(None, None, "s2") == "session:s2"


def test_many_callers_are_slowed_together_but_nobody_is_locked_out() -> None:
    clock = type(CLOCK)()
    throttle = PasswordThrottle(base_s=1.0, max_s=60.0, clock=clock, global_burst=5, global_every_s=2.0)
    for n in range(5):  # a distributed guesser: one wrong try from each of many addresses
        assert throttle.attempt(f"ip:{n}", "guess", "secret").checked
    spent = throttle.attempt("ip:99", "guess", "secret")
    assert (spent.checked, spent.wait_s) == (False, 2.0)  # the allowance is gone: nobody is compared now
    legit = throttle.attempt("ip:legit", "secret", "secret")
    assert not legit.checked and legit.wait_s <= 2.0
    clock.now += 2.0
    assert throttle.attempt("ip:legit", "secret", "secret").ok  # slowed by seconds, not locked out
    assert throttle.attempt("ip:100", "guess", "secret").checked  # one more guess per 2 s, from anyone
    assert not throttle.attempt("ip:101", "guess", "secret").checked
    clock.now += 2.0
    assert throttle.attempt("ip:101", "guess", "secret").checked


def test_right_tries_do_not_spend_the_allowance() -> None:
    clock = type(CLOCK)()
    throttle = PasswordThrottle(clock=clock, global_burst=2)
    for n in range(10):
        assert throttle.attempt(f"ip:{n}", "secret", "secret").ok


# --- local mode fails closed ---------------------------------------------------------------------------


def test_a_browser_whose_peer_is_unknown_is_shared() -> None:
    assert not access.is_local("http://localhost:8501", None)
    assert not access.is_local("http://127.0.0.1:8501/", None)
    assert access.is_local("http://localhost:8501", "127.0.0.1")
    assert access.is_local(None, None)  # no browser at all: a test, or a local client


# --- safety_identifier ---------------------------------------------------------------------------------


def test_safety_identifier_per_signed_in_person(app, shared_env, monkeypatch) -> None:
    shared_env.queue(Text("One."), Text("Two."), Text("Three."))
    ann = signed_in(owner_app(app, monkeypatch), "ann@example.com").run()
    send_message(ann, "first")
    send_message(ann, "second")
    bob = signed_in(owner_app(app, monkeypatch), "bob@example.com").run()
    send_message(bob, "hello")
    first, second, third = (body.get("safety_identifier") for body in shared_env.response_requests())
    assert first and first == second and third and third != first
    for sid in (first, third):
        assert len(sid) <= 64 and "@" not in sid and "ann" not in sid and "bob" not in sid and "example" not in sid
    assert first == identity.Identity("user:ann@example.com", True).safety_identifier


def test_safety_identifier_per_anonymous_visitor(app, compatible) -> None:
    compatible.queue(Text("One."), Text("Two."))
    for _ in range(2):
        send_message(app().run(), "hi")
    first, second = (body.get("safety_identifier") for body in compatible.response_requests())
    assert first and second and first != second


def test_no_safety_identifier_in_local_mode(app, configured) -> None:
    configured.queue(Text("Local."))
    send_message(app().run(), "hi")
    assert "safety_identifier" not in configured.response_requests()[0]
