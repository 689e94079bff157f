"""Profiles on Setup: save, load in a new session, export, import, and open by URL."""

from __future__ import annotations

import json

from lib.profile_format import to_data
from lib.settings import Settings
from lib.store import HistoryStore, owner_for
from tests.app.actions import click, send_message, setup_page, uploader
from tests.app.conftest import APP_KEY
from tests.fake_openai import FakeOpenAI


def test_save_then_load_in_a_new_session(app, configured: FakeOpenAI) -> None:
    at = setup_page(app)
    at.text_area[0].set_value("Speak like a pirate.").run()
    click(at, "Save")  # settings saved for the session, then the chat opens
    at.switch_page("app_pages/setup.py").run()
    at.text_input(key="profile_name").set_value("pirate").run()
    click(at, "Save profile")
    fresh = setup_page(app)
    assert fresh.text_area[0].value == ""
    picker = next(s for s in fresh.selectbox if s.label == "Profiles")
    assert picker.options[0] == "pirate"
    picker.set_value("pirate").run()
    click(fresh, "Load")
    assert fresh.text_area[0].value == "Speak like a pirate."
    exported = next(d for d in fresh.get("download_button"))
    assert exported.proto.label == "Export JSON"


def test_profile_opens_by_url_for_its_owner_only(app, configured: FakeOpenAI, clean_env) -> None:
    store = HistoryStore(f"sqlite:///{clean_env / 'history.db'}")
    store.profiles.save(owner_for(None, APP_KEY), "demo", to_data(Settings(model="gpt-4.1-mini", instructions="Demo!")))
    at = app(profile="demo").run()
    send_message(at, "Hi")
    body = configured.response_requests()[0]
    assert (body["model"], body["instructions"]) == ("gpt-4.1-mini", "Demo!")
    store.profiles.save(owner_for(None, "sk-someone-else"), "theirs", to_data(Settings(model="o3")))
    other = app(profile="theirs").run()
    assert "no profile named 'theirs'" in other.warning[0].value


def test_shipped_example_opens_by_url(app, configured: FakeOpenAI) -> None:
    at = app(profile="assistant").run()
    send_message(at, "Hello")
    body = configured.response_requests()[0]
    assert body["tools"] == [{"type": "web_search", "search_context_size": "medium"}]


def test_import_rejects_a_bad_file_with_its_reason(app, configured: FakeOpenAI) -> None:
    at = setup_page(app)
    data = json.dumps({"format": 1, "api_key": "sk-no"}).encode()
    uploader(at, "profile_import").upload("bad.json", data, "application/json").run()  # on the Profiles tab
    click(at, "Import")
    assert "Unknown profile fields: api_key" in at.error[0].value
