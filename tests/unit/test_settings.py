"""Settings resolution: session > secrets > environment > .env > defaults."""

from __future__ import annotations

import os
import stat

import pytest
from dotenv import dotenv_values

from lib.settings import DEFAULT_MODEL, Settings, is_reasoning_model, resolve, save_dotenv, secrets_dict


def test_each_layer_wins_over_the_ones_below() -> None:
    dotenv = {
        "OPENAI_API_KEY": "sk-dotenv",
        "OPENAI_MODEL": "m-dotenv",
        "OPENAI_INSTRUCTIONS": "i-dotenv",
        "OPENAI_TEMPERATURE": "0.25",
    }
    environ = {"OPENAI_API_KEY": "sk-env", "OPENAI_MODEL": "m-env", "OPENAI_INSTRUCTIONS": "i-env"}
    secrets = {"OPENAI_API_KEY": "sk-secret", "OPENAI_MODEL": "m-secret"}
    session = {"api_key": "sk-session"}
    s = resolve(session, secrets, environ, dotenv)
    assert (s.api_key, s.model, s.instructions, s.temperature) == ("sk-session", "m-secret", "i-env", 0.25)
    assert [s.source_of(n) for n in ("api_key", "model", "instructions", "temperature", "reasoning_effort")] == [
        "session",
        "secrets",
        "environment",
        ".env",
        "default",
    ]


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
        True,
        True,
        False,
        False,
    ]


def test_save_dotenv_is_private_and_round_trips(tmp_path) -> None:
    path = tmp_path / ".env"
    saved = Settings(api_key="sk-abc", model="gpt-4.1", instructions='Say "hi"\nthen stop', temperature=0.3)
    save_dotenv(path, saved)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = resolve({}, {}, {}, dotenv_values(path))
    assert (again.api_key, again.model, again.instructions, again.temperature) == (
        "sk-abc",
        "gpt-4.1",
        'Say "hi"\nthen stop',
        0.3,
    )


OWNER = {
    "OPENAI_API_KEY": "sk-owner",
    "OPENAI_BASE_URL": "https://gateway.internal/v1",
    "OPENAI_ORG_ID": "org-own",
    "OPENAI_PROJECT_ID": "proj_own",
    "APP_MODE": "shared",
}


def test_an_endpoint_set_without_a_key_is_ignored() -> None:
    for session in (
        {"base_url": "https://evil.example/v1"},
        {"provider": "azure", "azure_endpoint": "https://evil"},
        {"provider": "openai", "base_url": "https://evil.example/v1", "organization": "org-evil"},
    ):
        s = resolve(session, OWNER, {}, {})
        assert (s.api_key, s.provider, s.endpoint, s.organization) == (
            "sk-owner",
            "openai",
            "https://gateway.internal/v1",
            "org-own",
        )
        assert [s.source_of(n) for n in ("api_key", "provider", "base_url", "organization")] == [
            "secrets",
            "default",
            "secrets",
            "secrets",
        ]


def test_an_own_key_gets_the_providers_default_endpoint_not_the_owners() -> None:
    s = resolve({"api_key": "sk-visitor"}, OWNER, {}, {})
    assert (s.api_key, s.endpoint, s.organization, s.project) == ("sk-visitor", "https://api.openai.com/v1", None, None)
    assert [s.source_of(n) for n in ("api_key", "base_url", "organization")] == ["session", "default", "default"]
    s = resolve({"api_key": "sk-visitor", "provider": "openai", "base_url": "https://mine.example/v1"}, OWNER, {}, {})
    assert (s.endpoint, s.source_of("base_url"), s.visitor_endpoint) == ("https://mine.example/v1", "session", True)


def test_a_keyless_server_chosen_in_the_session_never_gets_the_owners_key() -> None:
    s = resolve({"provider": "compatible", "base_url": "http://10.0.0.5:8000/v1"}, OWNER, {}, {})
    assert (s.api_key, s.provider, s.endpoint, s.source_of("api_key")) == (
        "",
        "compatible",
        "http://10.0.0.5:8000/v1",
        "session",
    )
    s = resolve({"provider": "compatible", "base_url": ""}, OWNER, {}, {})  # nothing typed: the owner's
    assert (s.api_key, s.provider, s.endpoint) == ("sk-owner", "openai", "https://gateway.internal/v1")


def test_a_keyless_deployment_lends_its_endpoint_but_not_its_account() -> None:
    keyless = {k: v for k, v in OWNER.items() if k != "OPENAI_API_KEY"}
    s = resolve({"api_key": "sk-visitor", "provider": "openai", "base_url": ""}, keyless, {}, {})
    assert (s.endpoint, s.source_of("base_url"), s.organization, s.visitor_endpoint) == (
        "https://gateway.internal/v1",
        "secrets",
        None,
        False,
    )
    s = resolve({"api_key": "sk-visitor", "provider": "azure"}, keyless, {}, {})
    assert (s.provider, s.azure_endpoint) == ("azure", "")  # another provider: nothing to lend


def test_mode_and_allowed_urls_are_the_deployments_alone() -> None:
    s = resolve(
        {"api_key": "k", "mode": "local", "allowed_base_urls": ("http://10.0.0.1",)},
        {"APP_MODE": "shared", "ALLOWED_BASE_URLS": "https://a.example/v1, http://b.internal:8000"},
        {},
        {},
    )
    assert (s.mode, s.allowed_base_urls) == ("shared", ("https://a.example/v1", "http://b.internal:8000"))


def test_sources_say_where_the_endpoint_came_from() -> None:
    azure_owner = {"AZURE_OPENAI_API_KEY": "k-owner", "AZURE_OPENAI_ENDPOINT": "https://owner.openai.azure.com"}
    s = resolve({"api_key": "sk-visitor"}, azure_owner, {}, {})
    assert (s.provider, s.source_of("provider"), s.source_of("azure_endpoint")) == ("openai", "default", "default")
    s = resolve({"api_key": "sk-visitor"}, {"AZURE_OPENAI_ENDPOINT": "https://owner.openai.azure.com"}, {}, {})
    assert (s.provider, s.source_of("provider"), s.source_of("azure_endpoint")) == ("azure", "secrets", "secrets")
