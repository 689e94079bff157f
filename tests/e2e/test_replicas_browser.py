"""In Chromium: two replicas of the app on one PostgreSQL, behind nginx with deploy/nginx.conf (issue 16).

The same recipe as deploy/compose.yaml without containers: two `streamlit run Home.py` processes on two ports,
one database, and Debian's nginx in front with the config that deploy/ ships. Each test takes a step on
replica A and shows its result on replica B, the way a person lands on another replica after a reload.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.db import postgres_schema_url
from tests.e2e.actions import ask, send_message, wait_idle
from tests.e2e.conftest import ROOT, app_env, free_port, start_app, wait_healthy
from tests.fake_openai import FakeOpenAI, Text

NGINX_CONF = ROOT / "deploy" / "nginx.conf"
# Debian puts nginx in /usr/sbin, which is not on every PATH.
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")
PASSWORD = "replicas-share-one-budget"
USAGE = {
    "input_tokens": 2000,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 3000,
    "output_tokens_details": {"reasoning_tokens": 1000},
    "total_tokens": 5000,
}
LONG_TEXT = " ".join(f"word{number}" for number in range(121)) + "."


@dataclass
class Replica:
    """One `streamlit run Home.py` process and its address."""

    url: str
    process: subprocess.Popen

    def kill(self) -> None:
        """Die the way a crashed container does: no clean shutdown."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def start_replica(env: dict[str, str], log: Path) -> Replica:
    """The Dockerfile's command on a free local port."""
    return Replica(*start_app(env, log))


def render_nginx_conf(values: dict[str, str]) -> str:
    """deploy/nginx.conf with its ${NAME} placeholders filled, as envsubst does in compose.yaml."""
    text = NGINX_CONF.read_text()
    assert set(PLACEHOLDER.findall(text)) == set(values), "deploy/nginx.conf and this test name other placeholders"
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


@contextmanager
def two_replicas(fake: FakeOpenAI, data: Path, extra_env: dict[str, str]) -> Iterator[tuple[Replica, Replica]]:
    """Replicas A and B, started together against one fresh PostgreSQL schema."""
    with postgres_schema_url() as database_url:
        env = app_env(fake.base_url, database_url, extra_env)
        both = (start_replica(env, data / "a.log"), start_replica(env, data / "b.log"))
        try:
            for replica, name in zip(both, "ab", strict=True):
                wait_healthy(replica.url, replica.process, data / f"{name}.log")
            yield both
        finally:
            for replica in both:
                if replica.process.poll() is None:
                    replica.process.terminate()
                    replica.process.wait(timeout=10)


@pytest.fixture(scope="module")
def replicas(e2e_fake: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Replica, Replica]]:
    """Two local-mode replicas in background mode (a reload picks an answer up with `?pending=`)."""
    with two_replicas(e2e_fake, tmp_path_factory.mktemp("replicas"), {"OPENAI_BACKGROUND": "true"}) as both:
        yield both


@contextmanager
def nginx_in_front_of(upstream_a: str, upstream_b: str, run: Path) -> Iterator[str]:
    """Debian's nginx with deploy/nginx.conf in the foreground, its pid, log and temp files under `run`."""
    if NGINX is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but nginx is missing: apt-get install nginx (.ci/run does)")
        pytest.skip("No nginx (apt-get install nginx)")
    port = free_port()
    conf = run / "nginx.conf"
    conf.write_text(
        render_nginx_conf(
            {
                "LISTEN_PORT": f"127.0.0.1:{port}",
                "NGINX_TMP": str(run),
                "REPLICA_A": upstream_a.removeprefix("http://"),
                "REPLICA_B": upstream_b.removeprefix("http://"),
            }
        )
    )
    log = run / "nginx.log"
    process = subprocess.Popen(
        [NGINX, "-e", "stderr", "-c", str(conf), "-p", str(run), "-g", "daemon off;"],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def proxy_url(replicas: tuple[Replica, Replica], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """nginx in front of both app replicas."""
    with nginx_in_front_of(replicas[0].url, replicas[1].url, tmp_path_factory.mktemp("nginx")) as url:
        yield url


class NamedReplica(BaseHTTPRequestHandler):
    """A stand-in replica that answers every GET with its own name, to see where nginx sends a request."""

    def do_GET(self) -> None:  # http.server's name for the GET handler
        body = self.server.name.encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        """Quiet."""


def named_server(name: str) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), NamedReplica)
    server.name = name  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_nginx_keeps_each_session_on_one_replica_and_spreads_sessions(tmp_path: Path) -> None:
    servers = [named_server("a"), named_server("b")]
    try:
        a, b = (f"127.0.0.1:{server.server_address[1]}" for server in servers)
        with nginx_in_front_of(a, b, tmp_path) as url:

            def get(cookie: str | None) -> tuple[str, str]:
                request = urllib.request.Request(f"{url}/", headers={"Cookie": cookie} if cookie else {})
                with urllib.request.urlopen(request, timeout=5) as answer:
                    return answer.read().decode(), answer.headers.get("Set-Cookie", "")

            first, set_cookie = get(None)
            assert set_cookie.startswith("rs_replica=") and "HttpOnly" in set_cookie
            cookie = set_cookie.split(";", 1)[0]
            # Every later request of that browser (page, static files, websocket, uploads) reaches the same one.
            assert {get(cookie)[0] for _ in range(12)} == {first}
            # Other browsers are spread over both replicas.
            assert {get(f"rs_replica=session{number}")[0] for number in range(24)} == {"a", "b"}
    finally:
        for server in servers:
            server.shutdown()


def test_a_conversation_from_replica_a_reopens_and_shows_in_history_on_b(
    browser: Browser, replicas: tuple[Replica, Replica], fake: FakeOpenAI
) -> None:
    a, b = replicas
    fake.queue(Text("Paris is the capital of **France**."))
    on_a = browser.new_page()
    on_a.goto(a.url)
    wait_idle(on_a)
    ask(on_a, "What is the capital of France?", "Paris is the capital of")
    assert "conversation=conv_" in on_a.url
    query = on_a.url.split("?", 1)[1]

    on_b = browser.new_page()  # another browser session, on the other process
    on_b.goto(f"{b.url}/?{query}")
    wait_idle(on_b)
    messages = on_b.get_by_test_id("stChatMessage")
    expect(messages).to_have_count(2, timeout=20_000)
    expect(messages.nth(0)).to_contain_text("What is the capital of France?")
    expect(messages.nth(1).locator("strong")).to_have_text("France")

    on_b.goto(f"{b.url}/history")
    wait_idle(on_b)
    expect(on_b.get_by_text("Responses 1–1 of")).to_be_visible(timeout=20_000)
    expect(on_b.get_by_test_id("stDataFrame").first).to_contain_text("What is the capital of France?", timeout=20_000)


def test_a_profile_saved_on_a_opens_by_link_on_b(browser: Browser, replicas: tuple[Replica, Replica]) -> None:
    a, b = replicas
    missing = "There is no profile named 'replica-demo' for you."
    on_b = browser.new_page()
    on_b.goto(f"{b.url}/?profile=replica-demo")
    wait_idle(on_b)
    expect(on_b.get_by_text(missing)).to_be_visible()  # not saved anywhere yet

    on_a = browser.new_page()
    on_a.goto(f"{a.url}/setup")
    wait_idle(on_a)
    on_a.get_by_role("tab", name="Profiles").click()
    on_a.get_by_label("Save the current settings as").fill("replica-demo")
    on_a.get_by_label("Save the current settings as").press("Enter")
    wait_idle(on_a)
    on_a.get_by_role("button", name="Save profile").click()
    wait_idle(on_a)

    on_b = browser.new_page()  # a fresh session on B: the profile comes from the shared database
    on_b.goto(f"{b.url}/?profile=replica-demo")
    wait_idle(on_b)
    expect(on_b.get_by_test_id("stChatInput")).to_be_visible()
    expect(on_b.get_by_text(missing)).to_have_count(0)


def test_through_nginx_a_page_loads_and_an_answer_streams(page: Page, proxy_url: str, fake: FakeOpenAI) -> None:
    fake.queue(Text(LONG_TEXT, delay=0.01))
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(proxy_url)
    wait_idle(page)
    ask(page, "Write a long answer", "word120.", timeout=30_000)
    assert any(url.startswith(proxy_url.replace("http", "ws")) and url.endswith("/_stcore/stream") for url in sockets)
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookie.get("rs_replica")  # the sticky-session cookie deploy/nginx.conf hashes on


def enter_password(page: Page) -> None:
    """Pass the shared app's password gate."""
    page.get_by_label("App password").fill(PASSWORD)
    page.get_by_role("button", name="Enter").click()
    wait_idle(page)


def test_spending_on_a_counts_against_the_budget_on_b(
    browser: Browser, fake: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory
) -> None:
    shared = {"APP_MODE": "shared", "APP_PASSWORD": PASSWORD, "BUDGET_USD": "0.50"}
    with two_replicas(fake, tmp_path_factory.mktemp("shared"), shared) as (a, b):
        on_b = browser.new_page()
        on_b.goto(b.url)
        wait_idle(on_b)
        enter_password(on_b)
        sidebar_b = on_b.get_by_test_id("stSidebar")
        expect(sidebar_b).to_contain_text("Spent $0.0000 of today's $0.50")

        fake.queue(Text("Paris is the capital of France.", usage=USAGE))
        on_a = browser.new_page()
        on_a.goto(a.url)
        wait_idle(on_a)
        enter_password(on_a)
        ask(on_a, "What is the capital of France?", "Paris is the capital of")
        on_a.reload()
        wait_idle(on_a)
        enter_password(on_a)
        sidebar_a = on_a.get_by_test_id("stSidebar")
        spent = re.compile(r"Spent \$(?!0\.0000 )[0-9.]+ of today's \$0\.50")  # more than nothing
        expect(sidebar_a).to_contain_text(spent)
        spent_a = spent.search(sidebar_a.inner_text())
        assert spent_a is not None

        on_b.reload()  # the same visitor (one address), on the other replica
        wait_idle(on_b)
        enter_password(on_b)
        expect(sidebar_b).to_contain_text(spent_a.group(0))


def test_killing_the_replica_mid_answer_the_other_finishes_it_after_a_reload(
    browser: Browser, replicas: tuple[Replica, Replica], fake: FakeOpenAI
) -> None:
    a, b = replicas
    fake.queue(Text(LONG_TEXT, delay=0.04))
    on_a = browser.new_page()
    on_a.goto(a.url)
    wait_idle(on_a)
    send_message(on_a, "Write a long answer")
    expect(on_a.get_by_test_id("stChatMessage").nth(1)).to_contain_text("word10", timeout=20_000)
    assert "pending=resp_" in on_a.url
    query = on_a.url.split("?", 1)[1]
    a.kill()

    on_b = browser.new_page()
    on_b.goto(f"{b.url}/?{query}")
    assistant = on_b.get_by_test_id("stChatMessage").nth(1)
    expect(assistant).to_contain_text("word120.", timeout=30_000)
    wait_idle(on_b)
    assert assistant.inner_text().count("word50") == 1
    expect(on_b.get_by_test_id("stChatMessage")).to_have_count(2)
    assert "pending=" not in on_b.url and "conversation=conv_" in on_b.url
