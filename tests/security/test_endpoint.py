"""Attacks on where requests go: the owner's key to a visitor's server, SSRF, foreign error bodies, URL secrets."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.app.actions import click, send_message
from tests.fake_openai import FakeOpenAI, Text
from tests.fake_openai.auth import request_key
from tests.security.attack import (
    OWNER_KEY,
    PASSWORD,
    VISITOR_KEY,
    alerts,
    enter_password,
    keys_seen,
    owner_app,
    tree_text,
)

SETUP, CHAT, FILES = "app_pages/setup.py", "app_pages/chat.py", "app_pages/files.py"
NO_KEY = "none"  # what lib.client sends a key-less server: the SDK wants some key
SECRET_BODY = "internal-db-password=hunter2-c0ffee"


@dataclass
class Seen:
    """One request a PageSpy got."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class PageSpy:
    """An attacker's (or an internal) server answering every request with one fixed status, type and body."""

    status: int
    content_type: str
    body: bytes
    requests: list[Seen] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


@pytest.fixture
def page_spy() -> Iterator[Any]:
    """Start PageSpy servers; all stopped after the test."""
    started: list[PageSpy] = []

    def make(status: int, content_type: str, body: bytes) -> PageSpy:
        spy = PageSpy(status, content_type, body)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                spy.requests.append(Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
                self.send_response(spy.status)
                self.send_header("Content-Type", spy.content_type)
                self.send_header("Content-Length", str(len(spy.body)))
                self.end_headers()
                self.wfile.write(spy.body)

            do_POST = do_DELETE = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        spy.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        spy.server.daemon_threads = True
        threading.Thread(target=spy.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        started.append(spy)
        return spy

    yield make
    for spy in started:
        assert spy.server is not None
        spy.server.shutdown()
        spy.server.server_close()


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def text_input(at: Any, label: str) -> Any:
    return next(t for t in at.text_input if t.label == label)


def check_key(at: Any) -> Any:
    return click(at, "Check key")


def owner_keys_only_at_owner(owner: FakeOpenAI, *others: Any) -> None:
    """The owner's key reached the owner's endpoint only (and there only as itself)."""
    for other in others:
        assert OWNER_KEY not in {request_key(r.headers) for r in other.requests}
    assert keys_seen(owner) <= {OWNER_KEY}


# --- 1: an endpoint typed or left in the session never gets the owner's key ---------------------------


@pytest.mark.parametrize("provider", ["openai", "azure", "compatible"])
def test_the_owners_key_never_goes_to_an_endpoint_the_visitor_sets(
    app, shared_env: FakeOpenAI, spy: FakeOpenAI, monkeypatch, provider: str
) -> None:
    monkeypatch.setenv("ALLOWED_BASE_URLS", spy.base_url.removesuffix("/v1"))  # test the key rule, not the SSRF one
    shared_env.queue(Text("From the owner's endpoint."))
    spy.queue(Text("From the spy."))
    at = enter_password(owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD).run())
    url_field = "azure_endpoint" if provider == "azure" else "base_url"
    spy_url = spy.base_url.removesuffix("/v1") if provider == "azure" else spy.base_url
    if provider != "compatible":  # no field to type into: what a profile or an old save leaves behind
        at.session_state["settings"] = {"provider": provider, url_field: spy_url}
    at.switch_page(SETUP).run()
    at.radio[0].set_value(provider).run()
    editable = [t for t in at.text_input if t.label in {"Base URL", "Azure OpenAI endpoint"} and not t.disabled]
    if provider == "compatible":  # key optional: the field is there, and a URL typed into it gets no key
        editable[0].set_value(spy.base_url).run()
    else:  # the app's key is in use: its endpoint is shown, not offered for editing
        assert not editable
        assert text_input(at, "Endpoint").disabled
    at = check_key(at)
    assert not at.exception
    # Tools tab, file search on: the store list is fetched with the settings being edited.
    next(t for t in at.toggle if t.label == "File search").set_value(True).run()
    next(t for t in at.toggle if t.label == "File search").set_value(False).run()  # no store: the chat would wait
    click(at, "Save")
    at.switch_page(CHAT).run()  # AppTest stays on the page last named by switch_page
    send_message(at, "Hello")
    at.switch_page(FILES).run()
    assert not at.exception
    assert keys_seen(spy) - {NO_KEY} == set()
    owner_keys_only_at_owner(shared_env, spy)
    if provider != "compatible":
        assert spy.requests == []  # everything went to the owner's endpoint, with the owner's key
        assert shared_env.response_requests()


def test_a_visitor_with_their_own_key_gets_their_own_endpoint(app, shared_env, spy, monkeypatch) -> None:
    monkeypatch.setenv("ALLOWED_BASE_URLS", spy.base_url)
    spy.queue(Text("On your own key."))
    at = enter_password(owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD).run())
    at.switch_page(SETUP).run()
    at.text_input[0].set_value(VISITOR_KEY).run()
    text_input(at, "Base URL").set_value(spy.base_url)
    assert check_key(at).success[0].value.startswith("The key works")
    click(at, "Save")
    at.switch_page(CHAT).run()
    send_message(at, "Hello")
    assert at.chat_message[1].markdown[0].value == "On your own key."
    assert keys_seen(spy) == {VISITOR_KEY}
    owner_keys_only_at_owner(shared_env, spy)


# --- 8: SSRF from a visitor's endpoint -------------------------------------------------------------------

REFUSAL = "In shared mode a server you set must be a public https address"


def visitor_setup(app, monkeypatch, base_url: str) -> Any:
    """A shared deployment with no key of its own; the visitor brings a key and a base URL."""
    at = app().run()
    at.text_input[0].set_value(VISITOR_KEY).run()
    text_input(at, "Base URL").set_value(base_url).run()
    return at


@pytest.mark.parametrize("scheme, host", [("http", "127.0.0.1"), ("https", "localhost"), ("https", "127.0.0.1")])
def test_a_visitors_loopback_endpoint_is_refused_at_connect_time(
    app, clean_env, spy: FakeOpenAI, monkeypatch, scheme: str, host: str
) -> None:
    monkeypatch.setenv("APP_MODE", "shared")
    at = check_key(visitor_setup(app, monkeypatch, f"{scheme}://{host}:{spy.port}/v1"))
    assert REFUSAL in at.error[0].value
    click(at, "Save")
    send_message(at, "Hello")
    assert not at.exception
    assert REFUSAL in alerts(at)
    assert spy.requests == []


def test_a_closed_port_and_a_refused_address_read_the_same(app, clean_env, page_spy, monkeypatch) -> None:
    monkeypatch.setenv("APP_MODE", "shared")
    listening = page_spy(200, "application/json", json.dumps({"object": "list", "data": []}).encode())
    closed = closed_port()
    monkeypatch.setenv("ALLOWED_BASE_URLS", f"http://127.0.0.1:{closed}")
    refused = check_key(visitor_setup(app, monkeypatch, listening.base_url)).error[0].value
    unreachable = check_key(visitor_setup(app, monkeypatch, f"http://127.0.0.1:{closed}/v1")).error[0].value
    assert listening.requests == []
    assert REFUSAL in refused
    assert re.sub(r":\d+/", ":PORT/", refused) == re.sub(r":\d+/", ":PORT/", unreachable)


@pytest.mark.parametrize("status", [500, 403, 400])
def test_a_foreign_error_body_never_reaches_the_page(app, clean_env, page_spy, monkeypatch, status: int) -> None:
    body = json.dumps({"error": {"message": SECRET_BODY, "type": "x", "param": SECRET_BODY, "code": None}})
    internal = page_spy(status, "application/json", body.encode())
    monkeypatch.setenv("APP_MODE", "shared")
    monkeypatch.setenv("ALLOWED_BASE_URLS", internal.base_url)
    at = check_key(visitor_setup(app, monkeypatch, internal.base_url))
    assert f"({status})" in at.error[0].value
    next(t for t in at.toggle if t.label == "File search").set_value(True).run()
    click(at, "Save")
    send_message(at, "Hello")
    assert not at.exception
    assert internal.requests  # it was asked, and answered
    assert "hunter2" not in tree_text(at) and "hunter2" not in alerts(at)


@pytest.mark.parametrize(
    "content_type, said", [("text/html; charset=utf-8", "a web page"), ("text/plain", "something else (not JSON)")]
)
def test_a_web_page_instead_of_the_api_is_said_plainly(
    app, clean_env, page_spy, monkeypatch, content_type, said
) -> None:
    portal = page_spy(200, content_type, b"<html><body>Sign in to the Wi-Fi</body></html>")
    monkeypatch.setenv("APP_MODE", "shared")
    monkeypatch.setenv("ALLOWED_BASE_URLS", portal.base_url)
    at = check_key(visitor_setup(app, monkeypatch, portal.base_url))
    assert not at.exception
    assert f"answered with {said}, not the API" in at.error[0].value
    click(at, "Save")
    send_message(at, "Hello")
    assert not at.exception
    assert f"answered with {said}, not the API" in alerts(at)
    assert "Sign in to the Wi-Fi" not in tree_text(at)


# --- 7: credentials in the owner's URL are never drawn ---------------------------------------------------


def test_credentials_in_the_owners_base_url_are_never_shown(app, shared_env, monkeypatch) -> None:
    # Where it answers (the double; a query string would break its paths) and where it does not.
    answering = shared_env.base_url.replace("http://", "http://user:tok3n@")
    unreachable = f"http://user:tok3n@127.0.0.1:{closed_port()}/v1?key=abc"
    shared_env.queue(Text("Hello back."))
    pages = []
    for owner_url in (answering, unreachable):
        monkeypatch.setenv("OPENAI_BASE_URL", owner_url)
        at = enter_password(owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD).run())
        assert "127.0.0.1" in tree_text(at)  # the chat's caption names the endpoint
        pages.append(tree_text(at))
        send_message(at, "Hello")
        if owner_url == answering:
            click(at, "View as code")
            assert any("127.0.0.1" in c.value for c in at.code)
        else:
            assert "Could not reach http://***@127.0.0.1" in alerts(at)
        pages.append(tree_text(at))
        at.switch_page(SETUP).run()
        assert "127.0.0.1" in tree_text(at)  # the endpoint is shown, masked
        pages.append(tree_text(at))
    for text in pages:
        assert "tok3n" not in text and "key=abc" not in text
