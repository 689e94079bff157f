"""View as code: the generated Python and curl send, at the double, exactly the request the app sends."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openai import AzureOpenAI, OpenAI

from lib.chat import build_request, user_message
from lib.codegen import REDACTED, curl_command, python_code, render, target_of
from lib.conversations import Thread
from lib.settings import Settings
from lib.tools import McpServer, ToolSettings
from tests.fake_openai import FakeOpenAI, Text

KEY = "sk-test-codegen-0123456789abcdef"
MCP_SECRETS = {"MCP_DEEPWIKI_AUTHORIZATION": "oauth-token-xyz", "MCP_DEEPWIKI_X_API_KEY": "header-secret-123"}
AWKWARD = "naïve 'single' \"double\" \\back\\slash $HOME `date` tab\there\nsecond line\n\nafter a blank line\n"


def sdk_call(client: OpenAI, request: dict[str, Any]) -> None:
    """What the app does: responses.create(**request), reading the stream to its end."""
    result = client.responses.create(**request)
    if request.get("stream"):
        with result as stream:
            for _ in stream:
                pass


def at(base_url: str) -> dict[str, Any]:
    """python_code/curl_command's endpoint argument for a server at this URL, as View as code makes it."""
    return {"connection": target_of(Settings(base_url=base_url))["connection"]}


def azure_at(endpoint: str) -> dict[str, Any]:
    return {"connection": target_of(Settings(provider="azure", azure_endpoint=endpoint))["connection"]}


def exec_code(code: str, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """Run generated code in this process, with only the environment to give it its secrets."""
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    exec(compile(code, "<view-as-code>", "exec"), {"__name__": "__main__"})


def last_two_bodies(fake: FakeOpenAI) -> tuple[Any, Any]:
    bodies = fake.response_requests()
    assert len(bodies) >= 2
    return bodies[-2], bodies[-1]


def app_request(fake: FakeOpenAI, **settings: Any) -> dict[str, Any]:
    """A request built by the app's own build_request, in a conversation held by the double."""
    client = OpenAI(api_key=KEY, base_url=fake.base_url, max_retries=0)
    conversation = client.conversations.create(metadata={"title": "codegen"})
    chosen = Settings(api_key=KEY, base_url=fake.base_url, **settings)
    return build_request(chosen, Thread(conversation_id=conversation.id), [user_message(AWKWARD)])


MCP_TOOL = {
    "type": "mcp",
    "server_label": "deepwiki",
    "server_url": "https://mcp.deepwiki.com/mcp",
    "authorization": MCP_SECRETS["MCP_DEEPWIKI_AUTHORIZATION"],
    "headers": {"X-Api-Key": MCP_SECRETS["MCP_DEEPWIKI_X_API_KEY"]},
    "require_approval": "never",
}

SCHEMA = (
    '{"title": "Answer", "type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"], '
    '"additionalProperties": false}'
)
TOOLS = ToolSettings(
    web_search=True,
    mcp_servers=(McpServer("deepwiki", "https://mcp.deepwiki.com/mcp", headers=(("X-Api-Key", "header-secret-123"),)),),
    functions=("calculate", "get_weather"),
    json_schema=SCHEMA,
    reasoning_summary="auto",
)
CASES = {
    "reasoning model, streamed": dict(model="gpt-5-mini", instructions="Be brief.\nUse lists.", reasoning_effort="low"),
    "temperature, not stored": dict(model="gpt-4.1-mini", temperature=0.3, store=False),
    "tools, MCP headers, schema": dict(model="gpt-5-mini", tools=TOOLS),
}


@pytest.mark.parametrize("settings", CASES.values(), ids=CASES.keys())
def test_generated_python_sends_the_apps_request(fake_openai: FakeOpenAI, monkeypatch, settings) -> None:
    request = app_request(fake_openai, **settings)
    client = OpenAI(api_key=KEY, base_url=fake_openai.base_url, max_retries=0)
    fake_openai.queue(Text("Streamed answer."), Text("Streamed answer."))
    sdk_call(client, request)
    code = python_code(request, **at(fake_openai.base_url))
    exec_code(code, monkeypatch, {"OPENAI_API_KEY": KEY, **MCP_SECRETS})
    by_sdk, by_code = last_two_bodies(fake_openai)
    assert by_code == by_sdk == request
    assert KEY not in code and 'os.environ["OPENAI_API_KEY"]' in code
    assert not any(secret in code for secret in MCP_SECRETS.values())
    assert "event.delta" in code  # streamed requests print the deltas as they come


def test_plain_request_with_tools_and_awkward_values(fake_openai: FakeOpenAI, monkeypatch, capsys) -> None:
    request = {
        "model": "gpt-4.1-mini",
        "input": [{"role": "user", "content": [{"type": "input_text", "text": AWKWARD}]}],
        "instructions": "x" * 200,
        "tools": [MCP_TOOL, {"type": "web_search"}],
        "parallel_tool_calls": False,
        "max_output_tokens": 64,
        "metadata": {},
        "temperature": None,
        "text": {
            "format": {
                "type": "json_schema",
                "name": "answer",
                "strict": True,
                "schema": {
                    "type": "object",
                    "properties": {"ok": {"type": "boolean"}},
                    "required": ["ok"],
                    "additionalProperties": False,
                },
            }
        },
    }
    client = OpenAI(api_key=KEY, base_url=fake_openai.base_url, max_retries=0)
    sdk_call(client, request)
    code = python_code(request, **at(fake_openai.base_url))
    exec_code(code, monkeypatch, {"OPENAI_API_KEY": KEY, **MCP_SECRETS})
    assert "Echo:" in capsys.readouterr().out  # not streamed: prints output_text
    by_sdk, by_code = last_two_bodies(fake_openai)
    assert by_code == by_sdk == request
    for secret in (KEY, *MCP_SECRETS.values()):
        assert secret not in code
    assert all(f'os.environ["{name}"]' in code for name in MCP_SECRETS)  # credentials read by name
    compile(code, "<view-as-code>", "exec")


def test_generated_python_runs_as_a_script(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    request = {"model": "gpt-5-mini", "input": [{"role": "user", "content": "hi"}], "stream": True}
    fake_openai.queue(Text("Hello from the double.", delay=0.01))
    script = tmp_path / "reproduce.py"
    script.write_text(python_code(request, **at(fake_openai.base_url)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")} | {"OPENAI_API_KEY": KEY}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hello from the double.\n"
    assert fake_openai.response_requests() == [request]
    assert fake_openai.requests[-1].headers["authorization"] == f"Bearer {KEY}"


def test_default_endpoint_has_no_base_url_and_known_secrets_are_redacted() -> None:
    request = {"model": "gpt-5", "input": f"my key is {KEY}", "stream": False}
    code = python_code(request, **at("https://api.openai.com/v1/"), redact=[KEY])
    assert "base_url" not in code and KEY not in code and REDACTED in code
    assert KEY not in curl_command(request, **at("https://api.openai.com/v1"), redact=[KEY])


def test_long_multiline_strings_stay_readable_and_exact() -> None:
    text = "First line of the instructions.\nSecond line.\n\nAfter a blank line: 'quoted' and \"double\"."
    rendered = render({"instructions": text})
    assert rendered.count("\n") >= 4  # one line of source per line of text
    assert eval(rendered) == {"instructions": text}  # noqa: S307 - our own literal
    assert render([True, False, None, 1.5]) == "[True, False, None, 1.5]"


def test_azure_code_uses_the_sdks_azure_client(fake_openai: FakeOpenAI, monkeypatch) -> None:
    endpoint = f"http://127.0.0.1:{fake_openai.port}"
    request = {"model": "my-deployment", "input": "hi", "stream": True}
    azure = AzureOpenAI(api_key=KEY, azure_endpoint=endpoint, api_version="preview", max_retries=0)
    sdk_call(azure, request)
    code = python_code(request, **azure_at(endpoint))
    exec_code(code, monkeypatch, {"AZURE_OPENAI_API_KEY": KEY})
    first, second = fake_openai.requests[-2:]
    assert (second.path, second.query, second.body) == (first.path, first.query, first.body)
    assert second.headers["api-key"] == KEY and KEY not in code


def run_curl(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", command], env=os.environ | env, capture_output=True, text=True, timeout=10)


def test_curl_parses_back_to_the_same_body() -> None:
    request = {"model": "gpt-5-mini", "input": [{"role": "user", "content": AWKWARD}], "stream": True}
    command = curl_command(request, **at("http://localhost:8000/v1"))
    words = shlex.split(command.replace("\\\n", " "))  # a shell drops backslash-newlines the same way
    assert words[:3] == ["curl", "http://localhost:8000/v1/responses", "-N"]
    assert "Authorization: Bearer $OPENAI_API_KEY" in words
    assert "Content-Type: application/json" in words
    assert json.loads(words[words.index("-d") + 1]) == request


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_sends_the_same_body_as_the_sdk(fake_openai: FakeOpenAI) -> None:
    request = {"model": "gpt-4.1-mini", "input": AWKWARD, "tools": [MCP_TOOL], "store": False}
    client = OpenAI(api_key=KEY, base_url=fake_openai.base_url, max_retries=0)
    sdk_call(client, request)
    command = curl_command(request, **at(fake_openai.base_url))
    assert KEY not in command and not any(secret in command for secret in MCP_SECRETS.values())
    done = run_curl(command, {"OPENAI_API_KEY": KEY, **MCP_SECRETS})
    assert done.returncode == 0, done.stderr
    by_sdk, by_curl = last_two_bodies(fake_openai)
    assert by_curl == by_sdk == request
    assert fake_openai.requests[-1].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_azure_curl_uses_the_api_key_header(fake_openai: FakeOpenAI) -> None:
    endpoint = f"http://127.0.0.1:{fake_openai.port}"
    command = curl_command({"model": "dep", "input": "hi"}, **azure_at(endpoint))
    done = run_curl(command, {"AZURE_OPENAI_API_KEY": KEY})
    assert done.returncode == 0, done.stderr
    recorded = fake_openai.requests[-1]
    assert (recorded.path, recorded.query, recorded.body) == (
        "/openai/responses",
        {"api-version": "preview"},
        {"model": "dep", "input": "hi"},
    )
    assert recorded.headers["api-key"] == KEY
