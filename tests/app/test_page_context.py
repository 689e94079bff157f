"""Settings are resolved once per run: the .env file is read once whatever the page draws, and edits made
during a run (Setup's Save, a profile) still reach what the same run draws."""

from __future__ import annotations

import sys
from pathlib import Path

from lib.identity import owner_for
from lib.profiles import to_data
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


def test_a_run_that_sends_a_turn_reads_the_settings_once(app, configured: FakeOpenAI, clean_env: Path,
                                                          monkeypatch) -> None:
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
