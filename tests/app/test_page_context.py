"""Settings are resolved once per run: the .env file is read once whatever the page draws, and edits made
during a run (Setup's Save, a profile) still reach what the same run draws."""

from __future__ import annotations

import sys
from pathlib import Path

from lib.identity import owner_for
from lib.profile_format import to_data
from lib.settings import Settings
from lib.store import HistoryStore
from tests.app.conftest import APP_KEY
from tests.fake_openai import FakeOpenAI, Text

# The file reads Python itself reports (audit event "open"), for the .env files a test names: nothing of ours
# is patched, the count is of real reads. A hook cannot be removed, so it only looks at the paths listed.
_WATCHED: set[str] = set()
_READS: list[str] = []


def _on_audit(event: str, args: tuple) -> None:
    if event == "open" and _WATCHED and args and str(args[0]) in _WATCHED:
        _READS.append(str(args[0]))


sys.addaudithook(_on_audit)


def watch_dotenv(directory: Path, text: str) -> Path:
    """Write a .env where the app looks for it, and count its reads from now on."""
    path = directory / ".env"
    path.write_text(text)
    _WATCHED.clear()
    _WATCHED.add(str(path))
    _READS.clear()
    return path


def reads_during(action) -> int:
    """How many times the watched .env was opened while `action` ran."""
    before = len(_READS)
    action()
    return len(_READS) - before


def test_an_idle_rerun_of_the_chat_reads_the_settings_once(app, configured: FakeOpenAI, clean_env: Path) -> None:
    watch_dotenv(clean_env, "OPENAI_MODEL=gpt-5-nano\n")  # the environment names gpt-5-mini: it wins
    at = app()
    try:
        assert reads_during(at.run) == 1
        assert reads_during(at.run) == 1
        assert not at.exception
        assert at.chat_input[0].placeholder == "Message gpt-5-mini"
    finally:
        _WATCHED.clear()


def test_a_run_that_sends_a_turn_reads_the_settings_once(
    app, configured: FakeOpenAI, clean_env: Path, monkeypatch
) -> None:
    monkeypatch.delenv("OPENAI_MODEL")
    watch_dotenv(clean_env, "OPENAI_MODEL=gpt-5-nano\n")
    configured.queue(Text("Answered."))
    at = app().run()
    try:
        assert reads_during(lambda: at.chat_input[0].set_value("Hello").run()) == 1
        assert not at.exception
        assert at.chat_message[1].markdown[0].value == "Answered."
        assert configured.response_requests()[0]["model"] == "gpt-5-nano"  # the .env was read, and used
    finally:
        _WATCHED.clear()


def test_a_profile_opened_by_url_is_what_the_same_run_draws(app, configured: FakeOpenAI, clean_env: Path) -> None:
    store = HistoryStore(f"sqlite:///{clean_env / 'history.db'}")
    store.profiles.save(owner_for(None, APP_KEY), "demo", to_data(Settings(model="gpt-4.1-mini")))
    watch_dotenv(clean_env, "")
    at = app(profile="demo")
    try:
        # The frame resolved the settings before the profile changed them: resolved again, once, for the rest.
        assert reads_during(at.run) == 2
    finally:
        _WATCHED.clear()
    assert not at.exception
    assert at.chat_input[0].placeholder == "Message gpt-4.1-mini"
    assert "gpt-4.1-mini" in at.sidebar.caption[0].value


def test_an_endpoint_without_conversations_is_remembered_as_the_one_the_turn_ran_on(
    app, clean_env: Path, monkeypatch
) -> None:
    """The settings change while an answer is written (another endpoint on Setup): what the collected turn
    found out (no Conversations API) is about the endpoint it ran on, not the one set when it is collected."""
    import pytest

    from lib.ui import state
    from tests.fake_openai import FakeOpenAI as Fake

    with Fake(conversations=False) as chained, Fake() as other:
        monkeypatch.setenv("OPENAI_API_KEY", APP_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", chained.base_url)
        chained.queue(Text("A slow answer, word by word, to the end.", deltas=10, delay=0.4))
        at = app().run()
        at.chat_input[0].set_value("One")
        with pytest.raises(RuntimeError, match="timed out"):
            at.run(timeout=2)  # the run ends (as a click elsewhere ends it); the answer goes on in its thread
        assert at.session_state[state.JOB].wait(10)
        at.session_state[state.SETTINGS] = {"api_key": "sk-other-endpoint-0002", "base_url": other.base_url}
        at.chat_input[0].set_value(None)  # the timed-out run left "One" in the input: it was sent already
        at.run()  # collects the turn that ran on the chained endpoint
        next(b for b in at.sidebar.button if b.label == "New chat").click().run()
        at.chat_input[0].set_value("Two").run()
        assert not at.exception
        # The other endpoint has the API: its new chat starts a conversation there and sends the turn in it.
        sent = [r.path for r in other.requests if r.method == "POST" and not r.path.endswith("/input_tokens")]
        assert sent == ["/v1/conversations", "/v1/responses"]  # (the meter's counts aside)
        assert other.response_requests()[0]["conversation"].startswith("conv_")
