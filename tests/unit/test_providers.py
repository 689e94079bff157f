"""Providers: Azure OpenAI through the SDK's own client, OpenAI-compatible servers, clear missing-setting messages."""

from __future__ import annotations

import os
import shutil
import subprocess
from urllib.parse import parse_qsl, urlsplit

import pytest

from lib import chat
from lib.client import SDK_CLIENTS, build_client
from lib.codegen import curl_command, python_code, target_of
from lib.conversations import Thread
from lib.providers import AZURE, PROVIDERS, Provider, provider_for
from lib.settings import ENV_NAMES, Settings, missing_setting, resolve
from tests.fake_openai import FakeOpenAI, Text


def azure_env(fake: FakeOpenAI, **extra: str) -> dict[str, str]:
    endpoint = fake.base_url.removesuffix("/v1")
    return {
        "AZURE_OPENAI_ENDPOINT": endpoint,
        "AZURE_OPENAI_API_KEY": "azure-key-123",
        "OPENAI_MODEL": "my-deploy",
        **extra,
    }


def test_azure_settings_come_from_the_sdk_variable_names(fake_openai: FakeOpenAI) -> None:
    s = resolve({}, {}, azure_env(fake_openai), {})
    assert (s.provider, s.api_key, s.api_version) == ("azure", "azure-key-123", "preview")
    assert s.source_of("provider") == "environment"
    assert missing_setting(s) is None


def test_azure_turn_has_the_azure_request_shape(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Text("Hello from Azure."))
    s = resolve({}, {}, azure_env(fake_openai, OPENAI_API_VERSION="2025-04-01-preview"), {})
    turns = list(chat.run_turn(build_client(s), s, Thread(), "Hi"))
    assert turns[-1].text == "Hello from Azure."
    post = next(r for r in fake_openai.requests if r.method == "POST" and r.path.endswith("/responses"))
    assert post.path == "/openai/responses"
    assert post.query == {"api-version": "2025-04-01-preview"}
    assert post.headers["api-key"] == "azure-key-123" and "authorization" not in post.headers
    assert post.body["model"] == "my-deploy"


def test_azure_v1_base_url(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Text("v1 works."))
    s = resolve({}, {}, azure_env(fake_openai, OPENAI_API_VERSION="v1"), {})
    assert s.endpoint.endswith("/openai/v1")
    assert list(chat.run_turn(build_client(s), s, Thread(), "Hi"))[-1].text == "v1 works."
    post = next(r for r in fake_openai.requests if r.method == "POST" and r.path.endswith("/responses"))
    assert post.path == "/openai/v1/responses"


def test_missing_or_malformed_settings_are_named_with_an_example() -> None:
    assert "AZURE_OPENAI_ENDPOINT" in missing_setting(Settings(provider="azure", api_key="k"))
    assert "e.g. https://my-resource.openai.azure.com" in missing_setting(Settings(provider="azure", api_key="k"))
    bad = missing_setting(Settings(provider="azure", api_key="k", azure_endpoint="my-resource.openai.azure.com"))
    assert bad.startswith("AZURE_OPENAI_ENDPOINT must be an https:// URL")
    assert "AZURE_OPENAI_API_KEY" in missing_setting(
        Settings(provider="azure", azure_endpoint="https://x.openai.azure.com")
    )
    assert missing_setting(Settings()).startswith("Add your OpenAI API key")
    assert missing_setting(Settings(provider="compatible", base_url="http://localhost:8000/v1")) is None
    assert "OPENAI_BASE_URL" in missing_setting(Settings(provider="compatible"))


def test_compatible_server_without_conversations_chains_and_says_so(fake_openai_factory) -> None:
    fake = fake_openai_factory(conversations=False)
    s = Settings(provider="compatible", base_url=fake.base_url)
    thread = Thread()
    client = build_client(s)
    list(chat.run_turn(client, s, thread, "One"))
    list(chat.run_turn(client, s, thread, "Two"))
    assert thread.chained and thread.conversation_id is None
    first, second = fake.response_requests()
    assert "previous_response_id" not in first and second["previous_response_id"].startswith("resp_")


def test_view_as_code_for_azure_reproduces_the_azure_request(fake_openai: FakeOpenAI) -> None:
    import sys

    fake_openai.queue(Text("Once."), Text("Twice."))
    s = resolve({}, {}, azure_env(fake_openai), {})
    turn = list(chat.run_turn(build_client(s), s, Thread(), "Hi"))[-1]
    code = python_code(turn.requests[0], **target_of(s))
    assert "AzureOpenAI(" in code and "azure-key-123" not in code
    env = {**os.environ, "AZURE_OPENAI_API_KEY": "azure-key-123"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, timeout=60)
    posts = [r for r in fake_openai.requests if r.method == "POST" and r.path.endswith("/responses")]
    assert [p.path for p in posts] == ["/openai/responses"] * 2 and posts[0].body == posts[1].body


# Where each endpoint setting points to reach the double: a new provider with a new endpoint field adds a line.
def double_endpoint(fake: FakeOpenAI, field: str) -> str:
    return {"base_url": fake.base_url, "azure_endpoint": fake.base_url.removesuffix("/v1")}[field]


EVERY_CONNECTION = [pytest.param(p, {}, id=p.kind) for p in PROVIDERS.values()] + [
    pytest.param(AZURE, {"api_version": "v1"}, id="azure-v1")
]


@pytest.mark.parametrize(("provider", "extra"), EVERY_CONNECTION)
def test_every_provider_chats_and_its_view_as_code_sends_the_same_request(
    fake_openai: FakeOpenAI, monkeypatch, provider: Provider, extra: dict[str, str]
) -> None:
    key = f"{provider.kind}-key-0123456789"
    s = Settings(
        provider=provider.kind,
        api_key=key,
        model="my-model",
        **{provider.endpoint_field: double_endpoint(fake_openai, provider.endpoint_field)},
        **extra,
    )
    assert missing_setting(s) is None
    fake_openai.queue(Text("From the app."), Text("From the code."))
    turn = list(chat.run_turn(build_client(s), s, Thread(), "Hi"))[-1]
    assert turn.text == "From the app."
    target = target_of(s)
    connection = target["connection"]
    header, value = connection.auth_header.format(key=key).split(": ", 1)
    by_app = fake_openai.requests[-1]
    url = urlsplit(connection.responses_url)
    assert (by_app.method, by_app.path, by_app.query) == ("POST", url.path, dict(parse_qsl(url.query)))
    assert by_app.headers[header.lower()] == value  # the client sends the key where View as code says

    code = python_code(turn.requests[0], **target)
    assert key not in code and f'os.environ["{connection.key_env}"]' in code
    for name in {"OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_VERSION"}:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(connection.key_env, key)
    exec(compile(code, "<view-as-code>", "exec"), {"__name__": "__main__"})
    by_code = fake_openai.requests[-1]
    assert (by_code.path, by_code.query, by_code.body) == (by_app.path, by_app.query, by_app.body)
    assert by_code.headers[header.lower()] == value

    if shutil.which("curl"):
        command = curl_command({"model": "my-model", "input": "hi"}, **target)
        assert key not in command
        done = subprocess.run(
            ["bash", "-c", command],
            env=os.environ | {connection.key_env: key},
            capture_output=True,
            text=True,
            timeout=20,
        )
        assert done.returncode == 0, done.stderr
        by_curl = fake_openai.requests[-1]
        assert (by_curl.path, by_curl.query, by_curl.body) == (
            by_app.path,
            by_app.query,
            {"model": "my-model", "input": "hi"},
        )
        assert by_curl.headers[header.lower()] == value


@pytest.mark.parametrize("provider", PROVIDERS.values(), ids=PROVIDERS.keys())
def test_every_provider_names_what_is_missing_and_is_read_from_its_variables(provider: Provider) -> None:
    bare = Settings(provider=provider.kind)
    problem = missing_setting(bare)
    if provider.endpoint_required:
        assert provider.endpoint_env in problem and provider.endpoint_example in problem
    else:
        assert problem == provider.missing_key
    env = {
        provider.key_envs[0]: "k-env",
        provider.endpoint_env: provider.endpoint_example,
        "OPENAI_PROVIDER": provider.kind,
    }
    s = resolve({}, {}, env, {})
    assert (s.provider, s.api_key, getattr(s, provider.endpoint_field)) == (
        provider.kind,
        "k-env",
        provider.endpoint_example,
    )
    assert ENV_NAMES[provider.endpoint_field] == provider.endpoint_env
    assert provider_for(provider.kind) is provider and provider.connection(s).sdk in SDK_CLIENTS
