"""Providers: Azure OpenAI through the SDK's own client, OpenAI-compatible servers, clear missing-setting messages."""

from __future__ import annotations

from lib import chat
from lib.client import build_client
from lib.conversations import Thread
from lib.settings import Settings, missing_setting, resolve
from tests.fake_openai import FakeOpenAI, Text


def azure_env(fake: FakeOpenAI, **extra: str) -> dict[str, str]:
    endpoint = fake.base_url.removesuffix("/v1")
    return {"AZURE_OPENAI_ENDPOINT": endpoint, "AZURE_OPENAI_API_KEY": "azure-key-123", "OPENAI_MODEL": "my-deploy",
            **extra}


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
    assert "AZURE_OPENAI_API_KEY" in missing_setting(Settings(provider="azure", azure_endpoint="https://x.openai.azure.com"))
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
    import os
    import subprocess
    import sys

    from lib.codegen import python_code, target_of

    fake_openai.queue(Text("Once."), Text("Twice."))
    s = resolve({}, {}, azure_env(fake_openai), {})
    turn = list(chat.run_turn(build_client(s), s, Thread(), "Hi"))[-1]
    code = python_code(turn.requests[0], **target_of(s))
    assert "AzureOpenAI(" in code and "azure-key-123" not in code
    env = {**os.environ, "AZURE_OPENAI_API_KEY": "azure-key-123"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, timeout=60)
    posts = [r for r in fake_openai.requests if r.method == "POST" and r.path.endswith("/responses")]
    assert [p.path for p in posts] == ["/openai/responses"] * 2 and posts[0].body == posts[1].body
