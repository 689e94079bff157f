"""Setup → Model's request controls in AppTest: the exact fields the double receives, View as code, and errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP_KEY
from tests.fake_openai import FakeOpenAI, Text


def open_setup(app) -> AppTest:
    at = app().run()
    at.switch_page("app_pages/setup.py").run()
    assert at.title[0].value == "Setup"
    return at


def save(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception and not at.error
    return at


def send(at: AppTest, prompt: str) -> AppTest:
    at.switch_page("app_pages/chat.py").run()
    at.chat_input[0].set_value(prompt).run()
    assert not at.exception
    return at


def set_everything(at: AppTest) -> AppTest:
    at.number_input(key="request_max_output_tokens").set_value(900)
    at.number_input(key="request_max_tool_calls").set_value(3)
    at.selectbox(key="request_parallel").set_value(False)
    at.selectbox(key="request_truncation").set_value("auto")
    at.selectbox(key="request_verbosity").set_value("low")
    at.selectbox(key="request_service_tier").set_value("flex")
    at.text_input(key="request_cache_key").set_value("studio-tests")
    at.selectbox(key="request_cache_retention").set_value("24h")
    at.multiselect(key="request_include").set_value(["message.output_text.logprobs", "file_search_call.results"])
    at.number_input(key="request_top_logprobs").set_value(5)
    return at.run()


EXPECTED = {
    "max_output_tokens": 900,
    "max_tool_calls": 3,
    "parallel_tool_calls": False,
    "truncation": "auto",
    "text": {"verbosity": "low"},
    "service_tier": "flex",
    "prompt_cache_key": "studio-tests",
    "prompt_cache_retention": "24h",
    "include": ["message.output_text.logprobs", "file_search_call.results"],
    "top_logprobs": 5,
}


def test_unset_controls_send_nothing_new(app, configured: FakeOpenAI) -> None:
    at = open_setup(app)
    send(save(at), "Hello")
    body = configured.response_requests()[0]
    assert set(body) == {"model", "input", "store", "stream", "conversation"}


def test_every_control_set_on_setup_is_in_the_request_exactly(app, configured: FakeOpenAI) -> None:
    at = set_everything(open_setup(app))
    send(save(at), "Hello")
    body = configured.response_requests()[0]
    assert {k: body[k] for k in EXPECTED} == EXPECTED
    assert "tool_choice" not in body  # no tools: nothing to choose from
    # Setup shows what was saved when it is opened again.
    at.switch_page("app_pages/setup.py").run()
    assert at.selectbox(key="request_service_tier").value == "flex"
    assert at.number_input(key="request_max_output_tokens").value == 900


def test_view_as_code_shows_the_controls_and_sends_the_same_request(app, configured: FakeOpenAI) -> None:
    at = set_everything(open_setup(app))
    send(save(at), "Show me the code")
    next(b for b in at.button if b.label == "View as code").click().run()
    python, curl = (block.value for block in at.chat_message[1].code)
    assert 'service_tier="flex"' in python and 'prompt_cache_retention="24h"' in python
    assert '"verbosity": "low"' in python and "parallel_tool_calls=False" in python
    assert '"truncation": "auto"' in curl and '"top_logprobs": 5' in curl
    env = {**os.environ, "OPENAI_API_KEY": APP_KEY}
    subprocess.run([sys.executable, "-c", python], env=env, check=True, capture_output=True, timeout=60)
    sent_by_app, sent_by_code = configured.response_requests()
    assert sent_by_code == sent_by_app


def test_tool_choice_forces_a_function_and_allowed_tools_lists_them(app, configured: FakeOpenAI) -> None:
    at = open_setup(app)
    at.checkbox(key="setup_fn_get_weather").check()
    at.checkbox(key="setup_fn_calculate").check().run()
    choice = at.selectbox(key="request_tool_choice")
    assert choice.options == ["not set", "auto", "required", "none", "function calculate", "function get_weather"]
    choice.set_value("function:get_weather")
    send(save(at), "Weather?")
    assert configured.response_requests()[-1]["tool_choice"] == {"type": "function", "name": "get_weather"}

    at.switch_page("app_pages/setup.py").run()
    at.selectbox(key="request_tool_choice").select_index(0)  # not set
    at.multiselect(key="request_allowed_tools").set_value(["function:calculate"]).run()
    at.selectbox(key="request_allowed_mode").set_value("required")
    send(save(at), "Sum?")
    assert configured.response_requests()[-1]["tool_choice"] == {
        "type": "allowed_tools",
        "mode": "required",
        "tools": [{"type": "function", "name": "calculate"}],
    }


def test_a_forced_tool_that_is_turned_off_is_refused_on_save(app, configured: FakeOpenAI) -> None:
    at = open_setup(app)
    at.checkbox(key="setup_fn_get_weather").check().run()
    at.selectbox(key="request_tool_choice").set_value("function:get_weather")
    save(at)
    at.switch_page("app_pages/setup.py").run()
    at.checkbox(key="setup_fn_get_weather").uncheck().run()
    next(b for b in at.button if b.label == "Save").click().run()
    assert "Nothing was saved" in at.error[0].value and "function get_weather" in at.error[0].value
    assert at.title[0].value == "Setup"


def test_an_invalid_value_refused_by_the_api_is_said_and_the_prompt_kept(app, configured: FakeOpenAI) -> None:
    """A value Setup never offers but a session may hold (an older profile, a newer API): the API's 400, said."""
    from lib.request_options import RequestOptions
    from lib.ui import state

    at = open_setup(app)
    save(at)
    # As a profile written by hand (or an older app) could leave it: a tier the API does not know.
    at.session_state[state.SETTINGS]["options"] = RequestOptions(service_tier="turbo")
    send(at, "Keep this prompt")
    [sent] = configured.response_requests()
    assert sent["service_tier"] == "turbo"
    assert [e.value for e in at.error] == [
        "The request was refused (400) (parameter `service_tier`): Invalid value: 'turbo'. Supported values are: "
        "'auto', 'default', 'flex', 'scale', 'priority', 'fast', and 'ultrafast'."
    ]
    assert at.chat_message[0].markdown[0].value == "Keep this prompt"  # the prompt stays on screen
    assert at.session_state[state.TRANSCRIPT][-1].prompt == "Keep this prompt"


def test_cached_and_cache_write_tokens_and_the_tier_reach_history(app, configured: FakeOpenAI) -> None:
    from lib.pricing import cost_usd

    usage = {
        "input_tokens": 5000,
        "input_tokens_details": {"cached_tokens": 3000, "cache_write_tokens": 1500},
        "output_tokens": 400,
    }
    configured.queue(Text("Cheap and cached.", usage=usage))
    at = open_setup(app)
    at.selectbox(key="request_service_tier").set_value("flex")
    send(save(at), "Price me")
    turn = at.session_state["transcript"][-1]
    api_usage = {**usage, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 5400}
    flex = cost_usd("gpt-5-mini", api_usage, service_tier="flex")
    assert turn.service_tier == "flex" and turn.cost_usd == pytest.approx(flex)
    assert flex == pytest.approx(cost_usd("gpt-5-mini", api_usage) / 2)  # flex: half the standard price
    at.switch_page("app_pages/history.py").run()
    frame = at.dataframe[0].value
    assert (frame["Input"][0], frame["Cached"][0], frame["Cache writes"][0]) == (5000, 3000, 1500)
    assert frame["Cost"][0] == pytest.approx(flex)


def test_a_profile_carries_the_controls_and_loading_it_shows_them(app, configured: FakeOpenAI) -> None:
    at = open_setup(app)
    at.selectbox(key="request_service_tier").set_value("flex")
    at.text_input(key="request_cache_key").set_value("demo")
    save(at)
    at.switch_page("app_pages/setup.py").run()
    at.text_input(key="profile_name").set_value("cheap").run()
    next(b for b in at.button if b.label == "Save profile").click().run()
    fresh = open_setup(app)
    assert fresh.selectbox(key="request_service_tier").value is None
    next(s for s in fresh.selectbox if s.label == "Profiles").set_value("cheap").run()
    next(b for b in fresh.button if b.label == "Load").click().run()
    assert fresh.selectbox(key="request_service_tier").value == "flex"
    assert fresh.text_input(key="request_cache_key").value == "demo"
    send(save(fresh), "Hi")
    assert configured.response_requests()[-1]["service_tier"] == "flex"
