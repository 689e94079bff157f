"""The terminal client, driven through a pseudo-terminal against the double."""

from __future__ import annotations

import fcntl
import io
import os
import re
import select
import subprocess
import sys
import termios
import time
from argparse import Namespace
from collections.abc import Iterator
from pathlib import Path

import pytest
from openai import OpenAI

from lib.cli import MISSING_KEY, build_parser, history_recorder, load_settings, main
from lib.settings import Settings
from lib.store import HistoryStore, ResponseFilter, owner_for
from lib.stream import Turn
from tests.fake_openai import FakeOpenAI, Text

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-test-cli-0123456789"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _take_terminal() -> None:
    """Make the pty the child's controlling terminal (after setsid), so Ctrl-C sends SIGINT."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """`python -m lib.cli` on a pseudo-terminal: what a person at a keyboard sees and types."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.master, slave = os.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lib.cli", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_take_terminal,
        )
        os.close(slave)
        self.screen = ""
        self.seen = 0  # how far expect() has read

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.master, 4096)
        except OSError:  # the child closed the terminal (Linux raises EIO)
            return False
        self.screen += ANSI.sub("", data.decode(errors="replace")).replace("\r\n", "\n").replace("\r", "")
        return bool(data)

    def expect(self, text: str, timeout: float = 10.0) -> str:
        """Wait for `text` after what was already expected; return the output up to its end."""
        deadline = time.monotonic() + timeout
        while text not in self.screen[self.seen :]:
            left = deadline - time.monotonic()
            if left <= 0 or (not self._read(left) and self.process.poll() is not None):
                raise AssertionError(f"{text!r} never appeared; the terminal shows:\n{self.screen}")
        end = self.screen.index(text, self.seen) + len(text)
        before, self.seen = self.screen[self.seen : end], end
        return before

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def wait(self, timeout: float = 10.0) -> int:
        """The exit status, after reading everything the client wrote."""
        code = self.process.wait(timeout=timeout)
        while self._read(0.05):
            pass
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator:
    """Start the CLI in an empty directory (no .env, no secrets) with the given variables."""
    started: list[Terminal] = []
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_", "HISTORY_"))}
    base |= {"PYTHONPATH": str(ROOT), "HOME": str(tmp_path), "TERM": "dumb", "NO_COLOR": "1"}

    def start(*args: str, **env: str) -> Terminal:
        started.append(Terminal(list(args), base | env, tmp_path))
        return started[-1]

    yield start
    for term in started:
        term.close()


def test_new_chat_streams_two_answers_and_prints_the_conversation(
    fake_openai: FakeOpenAI, terminal, tmp_path: Path
) -> None:
    fake_openai.queue(Text("Alpha beta gamma", delay=0.25), Text("Second answer."))
    term = terminal("--no-history", OPENAI_API_KEY=KEY, OPENAI_BASE_URL=fake_openai.base_url)
    conversation_id = re.search(r"conv_\w+", term.expect("You: ")).group(0)
    term.type("First question")
    term.expect("Assistant: Alpha")
    assert "gamma" not in term.screen  # the first word is shown before the rest has arrived
    term.expect("beta gamma\n")
    assert re.search(
        r"\[gpt-[\w.-]+ · [\d,]+ in \([\d,]+ cached\) · [\d,]+ out \([\d,]+ reasoning\) · ", term.expect("]")
    )
    term.expect("You: ")
    term.type("Second question")
    term.expect("Assistant: Second answer.\n")
    term.expect("You: ")
    term.type("")
    assert term.wait() == 0
    assert f"--conversation {conversation_id}" in term.screen
    bodies = fake_openai.response_requests()
    assert [b["input"][0]["content"] for b in bodies] == ["First question", "Second question"]
    assert all(b["conversation"] == conversation_id and b["stream"] for b in bodies)
    titles = [r.body for r in fake_openai.requests if r.path == f"/v1/conversations/{conversation_id}"]
    assert titles == [{"metadata": {"title": "First question"}}]
    assert not (tmp_path / ".data").exists()  # --no-history


def test_resume_prints_the_history_then_continues_in_it(fake_openai: FakeOpenAI, terminal) -> None:
    client = OpenAI(api_key=KEY, base_url=fake_openai.base_url, max_retries=0)
    conversation = client.conversations.create()
    fake_openai.queue(Text("Paris is the capital."))
    client.responses.create(model="gpt-5-mini", input="Capital of France?", conversation=conversation.id)
    term = terminal(
        "--conversation", conversation.id, "--no-history", OPENAI_API_KEY=KEY, OPENAI_BASE_URL=fake_openai.base_url
    )
    history = term.expect("You: ")
    assert conversation.id in history
    term.expect("Capital of France?\nAssistant: Paris is the capital.\n")
    term.expect("You: ")
    term.type("And of Italy?")
    term.expect("Assistant: Echo: And of Italy?")
    term.expect("You: ")
    os.write(term.master, b"\x04")  # Ctrl-D
    assert term.wait() == 0
    assert fake_openai.response_requests()[-1]["conversation"] == conversation.id
    assert [r for r in fake_openai.requests if r.method == "POST" and r.path == "/v1/conversations"] == [
        fake_openai.requests[0]
    ]  # resuming creates nothing new


def test_ctrl_c_stops_an_answer_and_the_chat_goes_on(fake_openai: FakeOpenAI, terminal) -> None:
    fake_openai.queue(Text("slow " * 20, delay=0.3))
    term = terminal("--no-history", OPENAI_API_KEY=KEY, OPENAI_BASE_URL=fake_openai.base_url)
    term.expect("You: ")
    term.type("Tell me slowly")
    term.expect("Assistant: slow")
    os.write(term.master, b"\x03")  # Ctrl-C
    term.expect("! Stopped.")
    term.expect("You: ")
    term.type("quit")
    assert term.wait() == 0
    assert term.screen.count("slow") < 20


def test_refused_key_prints_the_apps_message(fake_openai_factory, terminal) -> None:
    fake = fake_openai_factory(api_keys={"sk-the-right-one"})
    term = terminal(OPENAI_API_KEY="sk-wrong-key-000000", OPENAI_BASE_URL=fake.base_url)
    assert term.wait() == 1
    assert "The API key was refused (401)" in term.screen
    assert "The key came from: environment." in term.screen
    assert "sk-wrong-key-000000" not in term.screen


def test_missing_key_names_the_setting_and_exits_2(terminal) -> None:
    term = terminal()
    assert term.wait() == 2
    assert MISSING_KEY in term.screen.replace("\n", " ")


def test_key_and_endpoint_from_dotenv_in_the_current_directory(fake_openai: FakeOpenAI, terminal, tmp_path) -> None:
    (tmp_path / ".env").write_text(f'OPENAI_API_KEY="{KEY}"\nOPENAI_BASE_URL="{fake_openai.base_url}"\n')
    term = terminal("--no-stream", "--no-history", "--model", "gpt-4.1-mini")
    term.expect("You: ")
    term.type("exit")
    assert term.wait() == 0
    assert fake_openai.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert fake_openai.requests[-1].method == "DELETE"  # the unused conversation is not left behind


def test_settings_resolve_as_in_the_app(tmp_path: Path) -> None:
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('OPENAI_MODEL = "from-secrets"\n[auth]\nx = 1\n')
    (tmp_path / ".env").write_text("OPENAI_API_KEY=from-dotenv\nOPENAI_MODEL=from-dotenv\nOPENAI_INSTRUCTIONS=hi\n")
    args = build_parser().parse_args([])
    settings = load_settings(args, {"OPENAI_MODEL": "from-env", "HOME": str(tmp_path / "nohome")}, tmp_path)
    assert (settings.api_key, settings.model, settings.instructions) == ("from-dotenv", "from-secrets", "hi")
    assert settings.source_of("model") == "secrets"
    flagged = load_settings(build_parser().parse_args(["--model", "from-flag"]), {}, tmp_path)
    assert flagged.model == "from-flag"


def test_each_turn_is_handed_to_the_recorder_once(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    recorded: list[tuple[Settings, Turn, str | None, str | None]] = []
    prompts = iter(["one", "two", "quit"])
    environ = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake_openai.base_url}
    code = main(
        [],
        record=lambda *a: recorded.append(a),
        environ=environ,
        cwd=tmp_path,
        read=lambda _: next(prompts),
        out=io.StringIO(),
    )
    assert code == 0
    assert [turn.prompt for _, turn, _, _ in recorded] == ["one", "two"]
    assert all(turn.status == "completed" and turn.response_id for _, turn, _, _ in recorded)
    settings, _, conversation_id, previous_id = recorded[0]
    assert conversation_id and conversation_id == recorded[1][2] and previous_id is None
    assert settings.api_key == KEY


def test_turns_land_in_the_apps_history_store_by_default(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    prompts = iter(["First question here", "second", ""])
    environ = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake_openai.base_url}
    assert main([], environ=environ, cwd=tmp_path, read=lambda _: next(prompts), out=io.StringIO()) == 0
    store = HistoryStore(f"sqlite:///{tmp_path / '.data' / 'history.db'}")  # the app's default, under cwd
    owner = owner_for(None, KEY)  # the owner the app gives the same key
    rows = store.responses(ResponseFilter(owner=owner), order_by="created_at", descending=False)
    assert [r["input_preview"] for r in rows] == ["First question here", "second"]
    assert rows[0]["output_preview"] == "Echo: First question here"
    assert store.conversation(owner, rows[0]["conversation_id"])["title"] == "First question here"


def test_chained_turns_are_recorded_with_their_previous_response(fake_openai_factory, tmp_path: Path) -> None:
    fake = fake_openai_factory(conversations=False)
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    prompts = iter(["one", "two", ""])
    environ = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake.base_url, "HISTORY_DATABASE_URL": url}
    assert (
        main(
            [],
            record=history_recorder(tmp_path),
            environ=environ,
            cwd=tmp_path,
            read=lambda _: next(prompts),
            out=io.StringIO(),
        )
        == 0
    )
    rows = HistoryStore(url).responses(ResponseFilter(owner=owner_for(None, KEY)), descending=False)
    assert rows[1]["previous_response_id"] == rows[0]["id"] and rows[0]["conversation_id"] is None
    assert not (tmp_path / ".data").exists()  # HISTORY_DATABASE_URL wins over the default


def test_a_failing_recorder_does_not_end_the_chat(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("disk full")

    prompts = iter(["one", "two", ""])
    out = io.StringIO()
    environ = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake_openai.base_url}
    assert main([], record=broken, environ=environ, cwd=tmp_path, read=lambda _: next(prompts), out=out) == 0
    assert out.getvalue().count("Not recorded in the history: disk full") == 2
    assert len(fake_openai.response_requests()) == 2


def test_without_conversations_api_turns_are_chained(fake_openai_factory, tmp_path: Path) -> None:
    fake = fake_openai_factory(conversations=False)
    prompts = iter(["one", "two", ""])
    out = io.StringIO()
    environ = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake.base_url}
    assert main([], environ=environ, cwd=tmp_path, read=lambda _: next(prompts), out=out) == 0
    first, second = fake.response_requests()
    assert "conversation" not in second and second["previous_response_id"]
    assert "no Conversations API" in out.getvalue()
    assert f"--response {second['previous_response_id']}" in out.getvalue()
    assert isinstance(build_parser().parse_args(["--response", "resp_1"]), Namespace)


def _two_turn_conversation(fake: FakeOpenAI) -> str:
    client = OpenAI(base_url=fake.base_url, api_key=KEY, max_retries=0)
    conversation = client.conversations.create(items=[])
    for prompt in ("first", "second"):
        client.responses.create(model="gpt-5-mini", conversation=conversation.id, input=prompt)
    return conversation.id


def test_fork_at_a_turn_prints_the_new_conversation_and_chats_in_it(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    from tests.fake_openai import Seen
    from tests.fake_openai.server import route_of

    original = _two_turn_conversation(fake_openai)
    fake_openai.queue(Seen())
    prompts, out = iter(["after the fork", ""]), io.StringIO()
    environ = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake_openai.base_url}
    assert (
        main(["--fork", original, "--at", "1"], environ=environ, cwd=tmp_path, read=lambda _: next(prompts), out=out)
        == 0
    )
    created = [r.body for r in fake_openai.requests if r.method == "POST" and route_of(r.path) == "/conversations"]
    assert created[-1]["items"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "first"}]},
        {"type": "message", "role": "assistant", "content": "Echo: first"},
    ]
    fork = re.search(r"Conversation: (conv_\w+)", out.getvalue()).group(1)
    assert fork != original
    assert f"Forked {original} at turn 1 into a new conversation." in out.getvalue()
    assert "You: first\nAssistant: Echo: first" in out.getvalue() and "You: second" not in out.getvalue()
    assert fake_openai.response_requests()[-1]["conversation"] == fork
    assert "Assistant: Seen: first | after the fork" in out.getvalue()
    assert len(fake_openai.store.items(original)) == 4  # the original is as it was
    store = HistoryStore(f"sqlite:///{tmp_path / '.data' / 'history.db'}")
    row = store.conversation(owner_for(None, KEY), fork)
    assert row["parent_conversation_id"] == original and row["turns"] == 1


def test_fork_refuses_a_turn_the_conversation_does_not_have(fake_openai: FakeOpenAI, tmp_path: Path, capsys) -> None:
    original = _two_turn_conversation(fake_openai)
    environ = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake_openai.base_url}
    assert main(["--fork", original, "--at", "3"], environ=environ, cwd=tmp_path, out=io.StringIO()) == 2
    assert "The conversation has 2 turns; a fork keeps 1 to 2 of them." in capsys.readouterr().err
    assert main(["--at", "1"], environ=environ, cwd=tmp_path, out=io.StringIO()) == 2
    assert "--at N takes a turn number from 1, with --fork CONV_ID." in capsys.readouterr().err
    posts = [r for r in fake_openai.requests if r.method == "POST" and "/conversations" in r.path]
    assert len(posts) == 1  # only the test's own: no copy was made
