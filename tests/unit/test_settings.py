"""Settings resolution: session > secrets > environment > .env > defaults."""

from __future__ import annotations

import os
import stat

import pytest
from dotenv import dotenv_values

from lib.settings import DEFAULT_MODEL, Settings, is_reasoning_model, resolve, save_dotenv, secrets_dict


def test_each_layer_wins_over_the_ones_below() -> None:
    dotenv = {"OPENAI_API_KEY": "sk-dotenv", "OPENAI_MODEL": "m-dotenv", "OPENAI_INSTRUCTIONS": "i-dotenv",
              "OPENAI_TEMPERATURE": "0.25"}
    environ = {"OPENAI_API_KEY": "sk-env", "OPENAI_MODEL": "m-env", "OPENAI_INSTRUCTIONS": "i-env"}
    secrets = {"OPENAI_API_KEY": "sk-secret", "OPENAI_MODEL": "m-secret"}
    session = {"api_key": "sk-session"}
    s = resolve(session, secrets, environ, dotenv)
    assert (s.api_key, s.model, s.instructions, s.temperature) == ("sk-session", "m-secret", "i-env", 0.25)
    assert [s.source_of(n) for n in ("api_key", "model", "instructions", "temperature", "reasoning_effort")] == [
        "session", "secrets", "environment", ".env", "default"]


def test_defaults_and_blank_values() -> None:
    s = resolve({}, {}, {"OPENAI_MODEL": "  ", "OPENAI_STORE": "false", "OPENAI_TEMPERATURE": "0.5"}, {})
    assert s.model == DEFAULT_MODEL and s.api_key == "" and s.store is False and s.temperature == 0.5
    assert s.endpoint == "https://api.openai.com/v1"


def test_bad_reasoning_effort_names_the_setting() -> None:
    with pytest.raises(ValueError, match="OPENAI_REASONING_EFFORT"):
        resolve({}, {}, {"OPENAI_REASONING_EFFORT": "extreme"}, {})


def test_key_is_not_in_repr() -> None:
    assert "sk-secret-value" not in repr(Settings(api_key="sk-secret-value"))


def test_missing_secrets_file_means_no_secrets() -> None:
    def no_file() -> dict:
        raise FileNotFoundError("no secrets.toml")

    assert secrets_dict(no_file) == {}
    assert secrets_dict(lambda: {"OPENAI_API_KEY": "k", "auth": {"x": 1}}) == {"OPENAI_API_KEY": "k"}


def test_reasoning_models() -> None:
    assert [is_reasoning_model(m) for m in ("gpt-5-mini", "o4-mini", "gpt-4.1", "gpt-5-chat-latest")] == [
        True, True, False, False]


def test_save_dotenv_is_private_and_round_trips(tmp_path) -> None:
    path = tmp_path / ".env"
    saved = Settings(api_key="sk-abc", model="gpt-4.1", instructions='Say "hi"\nthen stop', temperature=0.3)
    save_dotenv(path, saved)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = resolve({}, {}, {}, dotenv_values(path))
    assert (again.api_key, again.model, again.instructions, again.temperature) == (
        "sk-abc", "gpt-4.1", 'Say "hi"\nthen stop', 0.3)
