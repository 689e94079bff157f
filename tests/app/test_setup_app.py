"""The setup page: check a key against the double, pick a model, save for the session or to .env."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.app.actions import click, send_message
from tests.fake_openai import FakeOpenAI

GOOD_KEY = "sk-good-key-1234"


def open_setup(app, fake: FakeOpenAI):
    at = app().run()
    at.text_input[1].set_value(fake.base_url).run()
    return at


def test_check_key_lists_models_and_wrong_key_says_so(app, clean_env, fake_openai_factory) -> None:
    fake = fake_openai_factory(api_keys={GOOD_KEY}, models=("gpt-5-mini", "gpt-4.1-mini"))
    at = open_setup(app, fake)
    at.text_input[0].set_value("sk-wrong-key-0000").run()
    click(at, "Check key")
    assert "API key was refused" in at.error[0].value
    at.text_input[0].set_value(GOOD_KEY).run()
    click(at, "Check key")
    assert at.success[0].value.startswith("The key works: 2 models available")
    assert set(at.selectbox[0].options) >= {"gpt-5-mini", "gpt-4.1-mini"}
    assert all(GOOD_KEY not in e.value for e in at.success)


def test_save_moves_to_chat_and_chat_uses_the_session_key(app, clean_env, fake_openai_factory) -> None:
    fake = fake_openai_factory()
    at = open_setup(app, fake)
    at.text_input[0].set_value(GOOD_KEY).run()
    at.text_area[0].set_value("Answer in French.")
    click(at, "Save")
    assert not at.exception
    assert at.title[0].value == "Responses Studio"
    send_message(at, "Bonjour")
    body = fake.response_requests()[0]
    assert body["instructions"] == "Answer in French."
    assert fake.requests[-1].headers["authorization"] == f"Bearer {GOOD_KEY}"
    assert not (clean_env / ".env").exists()
    assert GOOD_KEY not in os.environ.get("OPENAI_API_KEY", "")


def test_save_to_dotenv_writes_a_private_file(app, clean_env, fake_openai_factory) -> None:
    fake = fake_openai_factory()
    at = open_setup(app, fake)
    at.text_input[0].set_value(GOOD_KEY).run()
    at.checkbox(key="setup_save_dotenv").check()
    click(at, "Save")
    dotenv = Path(clean_env / ".env")
    assert stat.S_IMODE(dotenv.stat().st_mode) == 0o600
    assert f'OPENAI_API_KEY="{GOOD_KEY}"' in dotenv.read_text()
    assert f'OPENAI_BASE_URL="{fake.base_url}"' in dotenv.read_text()


def test_reasoning_model_offers_effort_not_temperature(app, configured) -> None:
    at = app().run()
    at.switch_page("app_pages/setup.py").run()
    labels = [s.label for s in at.selectbox]
    assert "Reasoning effort" in labels and not at.slider
    at.selectbox[0].set_value("gpt-4.1-mini").run()
    assert "Reasoning effort" not in [s.label for s in at.selectbox]
    assert [t.label for t in at.toggle][0] == "Custom temperature"


def test_azure_provider_names_what_is_missing_then_chats(app, clean_env, fake_openai_factory) -> None:
    fake = fake_openai_factory(api_keys={"azure-key-1"})
    at = app().run()
    at.radio[0].set_value("azure").run()
    at.text_input[0].set_value("azure-key-1").run()
    assert any("AZURE_OPENAI_ENDPOINT" in c.value and "e.g. https://" in c.value for c in at.caption)
    at.text_input[1].set_value(fake.base_url.removesuffix("/v1")).run()
    click(at, "Check key")
    assert at.success[0].value.startswith("The key works")
    click(at, "Save")
    send_message(at, "Hello Azure")
    post = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/responses")][-1]
    assert post.path == "/openai/responses" and post.query["api-version"] == "preview"
    assert post.headers["api-key"] == "azure-key-1"


def test_check_key_says_what_the_server_lacks(app, clean_env, fake_openai_factory) -> None:
    fake = fake_openai_factory(conversations=False)
    at = app().run()
    at.radio[0].set_value("compatible").run()
    at.text_input[1].set_value(fake.base_url).run()
    click(at, "Check key")
    assert at.success[0].value.startswith("The key works: 3 models available")
    assert at.info[-1].value == "This server has no Conversations API: turns are chained with previous_response_id."
