"""Prompt templates on Setup -> the chat: versions, diff, restore, variables rendered into the exact request."""

from __future__ import annotations

import json

from lib.profile_format import to_data
from lib.prompt_templates import PromptVersion
from lib.settings import Settings
from lib.store import HistoryStore, owner_for
from tests.app.actions import button, setup_page, uploader
from tests.app.conftest import APP_KEY
from tests.fake_openai import FakeOpenAI

OWNER = owner_for(None, APP_KEY)


def store(clean_env) -> HistoryStore:
    return HistoryStore(f"sqlite:///{clean_env / 'history.db'}")


def test_a_template_saved_on_setup_renders_into_the_request(app, configured: FakeOpenAI, clean_env) -> None:
    at = setup_page(app)
    at.text_input(key="prompt_new_name").set_value("support").run()
    at.text_area(key="prompt_instructions_new").set_value("You help with {{product}} in {{language}}.").run()
    at.text_area(key="prompt_message_new").set_value("Customer asks: {{input}}").run()
    at.text_input(key="prompt_default_new_language").set_value("English").run()
    button(at, "Save as new version").click().run()
    at.text_area(key="prompt_instructions_support").set_value("You help with {{product}}. Reply in {{language}}.")
    button(at.run(), "Save as new version").click().run()
    assert [v.version for v in store(clean_env).prompts.versions(OWNER, "support")] == [2, 1]
    button(at, "Use the latest version in chat").click().run()  # opens the chat
    assert at.text_input(key="prompt_var_support_product").label == "product"
    at.switch_page("app_pages/chat.py")  # AppTest reruns the page it was last told to, not the app's choice
    assert at.info[0].value == "The chat now uses the latest version of `support`."
    at.chat_input[0].set_value("Does it float?").run()
    assert at.info[0].value == "Fill in {{product}} above the message box."
    assert not configured.response_requests()  # nothing sent, and the prompt is back in the input
    assert at.chat_input[0].value == "Does it float?"
    at.text_input(key="prompt_var_support_product").set_value("Acme boats").run()
    at.chat_input[0].set_value("Does it float?").run()
    body = configured.response_requests()[0]
    assert body["instructions"] == "You help with Acme boats. Reply in English."
    assert body["input"] == [{"role": "user", "content": "Customer asks: Does it float?"}]


def test_diff_restore_and_a_pinned_version(app, configured: FakeOpenAI, clean_env) -> None:
    prompts = store(clean_env).prompts
    prompts.save(OWNER, PromptVersion("p", 0, "Answer briefly."))
    prompts.save(OWNER, PromptVersion("p", 0, "Answer at length."))
    at = setup_page(app)
    at.selectbox(key="prompt_select").set_value("p").run()
    diff = next(c.value for c in at.code if c.language == "diff")
    assert "-Answer briefly." in diff and "+Answer at length." in diff
    at.selectbox(key="prompt_version_pick").set_value(1).run()
    button(at, "Restore as latest").click().run()
    assert [v.instructions for v in prompts.versions(OWNER, "p")] == [
        "Answer briefly.",
        "Answer at length.",
        "Answer briefly.",
    ]
    at.selectbox(key="prompt_version_pick").set_value(2).run()
    button(at, "Use in chat").click().run()
    at.switch_page("app_pages/chat.py")
    prompts.save(OWNER, PromptVersion("p", 0, "A later version the chat must not pick up."))
    at.chat_input[0].set_value("Hi").run()
    assert configured.response_requests()[0]["instructions"] == "Answer at length."


def test_a_profile_carries_its_template_and_one_without_clears_it(app, configured: FakeOpenAI, clean_env) -> None:
    history = store(clean_env)
    history.prompts.save(OWNER, PromptVersion("pirate", 0, "Talk like a pirate."))
    history.profiles.save(OWNER, "ahoy", to_data(Settings(prompt_template="pirate", prompt_version=1)))
    history.profiles.save(OWNER, "plain", to_data(Settings(instructions="Be plain.")))
    at = app(profile="ahoy").run()
    at.chat_input[0].set_value("Hi").run()
    assert configured.response_requests()[-1]["instructions"] == "Talk like a pirate."
    at.switch_page("app_pages/setup.py").run()
    picker = next(s for s in at.selectbox if s.label == "Profiles")
    picker.set_value("plain").run()
    button(at, "Load").click().run()
    at.switch_page("app_pages/chat.py").run()
    at.chat_input[0].set_value("Hi again").run()
    assert configured.response_requests()[-1]["instructions"] == "Be plain."


def test_openai_prompt_objects_import(app, configured: FakeOpenAI, clean_env) -> None:
    at = setup_page(app)
    data = json.dumps(
        [
            {
                "id": "pmpt_1",
                "version": "4",
                "instructions": "Help with {{topic}}.",
                "variables": {"topic": {"type": "input_text", "text": "billing"}},
            }
        ]
    ).encode()
    uploader(at, "prompt_import").upload("prompts.json", data, "application/json").run()
    button(at, "Import templates").click().run()
    assert "Imported 1 version(s) of 1 template(s): `pmpt_1`" in at.info[0].value
    imported = store(clean_env).prompts.get(OWNER, "pmpt_1")
    assert (imported.version, imported.instructions, dict(imported.defaults)) == (
        1,
        "Help with {{topic}}.",
        {"topic": "billing"},
    )
    bad = uploader(at, "prompt_import").upload("bad.json", b"{nope", "application/json").run()
    button(bad, "Import templates").click().run()
    assert "bad.json was not imported: The file is not JSON" in at.error[0].value


def test_a_keyless_visitor_on_a_shared_deployment_keeps_no_templates(app, shared_env, clean_env) -> None:
    at = setup_page(app)
    assert any("Prompt templates are kept only for" in i.value for i in at.info)
    assert not [t for t in at.text_input if t.key == "prompt_new_name"]


def test_a_profile_cannot_reach_someone_elses_template(app, configured: FakeOpenAI, clean_env) -> None:
    """Attack: a profile (say, imported from a link someone sent) names another person's template."""
    history = store(clean_env)
    history.prompts.save(owner_for(None, "sk-someone-else"), PromptVersion("secret", 0, "Their secret."))
    history.profiles.save(OWNER, "lure", to_data(Settings(instructions="Mine.", prompt_template="secret")))
    at = app(profile="lure").run()
    assert "The prompt template `secret` is not among your templates" in at.warning[0].value
    at.chat_input[0].set_value("Hi").run()
    assert configured.response_requests()[0]["instructions"] == "Mine."


def test_view_as_code_shows_the_rendered_text(app, configured: FakeOpenAI, clean_env) -> None:
    store(clean_env).prompts.save(OWNER, PromptVersion("t", 0, "Speak {{language}}.", "", {"language": "Welsh"}))
    at = setup_page(app)
    at.selectbox(key="prompt_select").set_value("t").run()
    button(at, "Use the latest version in chat").click().run()
    at.switch_page("app_pages/chat.py").run()
    at.chat_input[0].set_value("Hello").run()
    button(at, "View as code").click().run()
    python = at.chat_message[1].code[0].value
    assert "Speak Welsh." in python and "{{language}}" not in python
