"""A profile whose structured-output schema the API would refuse is refused where it comes in, with the reason."""

from __future__ import annotations

import json

from lib.profile_format import to_data
from lib.settings import Settings
from lib.store import HistoryStore, owner_for
from lib.tools import ToolSettings
from tests.app.actions import click, send_message, uploader
from tests.app.conftest import APP_KEY
from tests.fake_openai import FakeOpenAI

OPEN_OBJECT = json.dumps({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
REASON = (
    'Its structured-output schema is not usable: The root: strict mode needs "additionalProperties": false '
    "on every object."
)


def bad_profile() -> dict:
    return to_data(Settings(model="gpt-4.1-mini", tools=ToolSettings(json_schema=OPEN_OBJECT)))


def test_a_profile_with_a_bad_schema_does_not_open_by_url(app, configured: FakeOpenAI, clean_env) -> None:
    store = HistoryStore(f"sqlite:///{clean_env / 'history.db'}")
    store.profiles.save(owner_for(None, APP_KEY), "broken", bad_profile())
    at = app(profile="broken").run()
    assert [e.value for e in at.error] == [f"Profile 'broken' could not be opened: {REASON}"]
    send_message(at, "Hi")
    assert not at.exception
    body = configured.response_requests()[0]
    assert body["model"] == "gpt-5-mini" and "text" not in body  # the session's own settings, not the profile's


def test_a_profile_with_a_bad_schema_is_not_imported_or_loaded(app, configured: FakeOpenAI, clean_env) -> None:
    at = app().run()
    at.switch_page("app_pages/setup.py").run()
    uploader(at, "profile_import").upload("broken.json", json.dumps(bad_profile()).encode(), "application/json").run()
    click(at, "Import")
    assert [e.value for e in at.error] == [f"broken.json was not imported: {REASON}"]
    store = HistoryStore(f"sqlite:///{clean_env / 'history.db'}")
    assert store.profiles.names(owner_for(None, APP_KEY)) == []
    store.profiles.save(owner_for(None, APP_KEY), "old", bad_profile())  # saved before the check existed
    at.run()
    next(s for s in at.selectbox if s.label == "Profiles").set_value("old").run()
    click(at, "Load")
    assert not at.exception
    assert [e.value for e in at.error] == [f"Profile 'old' could not be loaded: {REASON}"]
