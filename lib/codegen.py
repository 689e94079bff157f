"""View as code: the Python and the curl that reproduce one `responses.create` request, without secrets."""

from __future__ import annotations

import json
import keyword
import re
import shlex
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from lib.providers import DEFAULT_BASE_URL, PROVIDERS, Connection, provider_for
from lib.settings import Settings
from lib.urls import mask_url

WIDTH = 88
REDACTED = "<redacted>"
# Tool fields that carry credentials (MCP servers and connectors); their values never reach the code.
_SECRET_TOOL_FIELDS = ("authorization", "headers")


@dataclass(frozen=True)
class EnvVar:
    """A value the generated code reads from the environment instead of spelling it out."""

    name: str


def env_name(*parts: str) -> str:
    """An environment variable name built from free text: `my-server`, `X-Api-Key` -> MY_SERVER_X_API_KEY."""
    return "_".join(re.sub(r"[^A-Za-z0-9]+", "_", part).strip("_").upper() for part in parts if part)


def scrub(request: dict[str, Any], redact: Iterable[str] = ()) -> dict[str, Any]:
    """A copy of the request with tool credentials as EnvVar placeholders and known secrets redacted."""
    secrets = [s for s in redact if s]

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        if isinstance(value, str) and any(secret in value for secret in secrets):
            return REDACTED
        return value

    scrubbed = walk(request)
    for index, tool in enumerate(scrubbed.get("tools") or []):
        if not isinstance(tool, dict):
            continue
        label = str(tool.get("server_label") or tool.get("connector_id") or f"tool {index}")
        if "authorization" in tool:
            tool["authorization"] = EnvVar(env_name("MCP", label, "authorization"))
        if isinstance(tool.get("headers"), dict):
            tool["headers"] = {h: EnvVar(env_name("MCP", label, h)) for h in tool["headers"]}
    return scrubbed


# -- Python literals ---------------------------------------------------------------------------


def _flat(value: Any) -> str:
    """The value as a one-line Python literal."""
    if isinstance(value, EnvVar):
        return f"os.environ[{_py_str(value.name)}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flat(k)}: {_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    if isinstance(value, str):
        return _py_str(value)
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    raise TypeError(f"cannot render {type(value).__name__} as a request literal")


def _py_str(text: str) -> str:
    """repr(), but in double quotes whenever the text has none of its own (house style)."""
    literal = repr(text)
    # Without a double quote in the text, repr used single quotes only because it had no reason not to.
    return f'"{literal[1:-1]}"' if literal[0] == "'" and '"' not in text else literal


def _string_lines(text: str) -> list[str]:
    """A text's lines with their newlines kept, so joining them gives the text back exactly."""
    return [line for line in re.split(r"(?<=\n)", text) if line]


def render(value: Any, indent: int = 0, lead: int = 0) -> str:
    """A Python literal for a JSON-like value, on one line when it fits, else one entry per line.

    `lead` is how many characters precede the value on its first line (a key, `name=`).
    """
    flat = _flat(value)
    pad, inner = " " * indent, " " * (indent + 4)
    multiline_text = isinstance(value, str) and len(_string_lines(value)) > 1
    if indent + lead + len(flat) + 1 <= WIDTH and not (multiline_text and len(flat) > 40):
        return flat
    if isinstance(value, str):
        if not multiline_text:
            return flat  # one long line: splitting it would not make it easier to read
        # Adjacent literals in parentheses: each line of the text on its own line, exact to the byte.
        return "(\n" + "".join(f"{inner}{_py_str(line)}\n" for line in _string_lines(value)) + pad + ")"
    if isinstance(value, dict):
        if not value:
            return flat
        entries = []
        for k, v in value.items():
            key = _flat(k) + ": "
            entries.append(f"{inner}{key}{render(v, indent + 4, len(key))},\n")
        return "{\n" + "".join(entries) + pad + "}"
    if isinstance(value, (list, tuple)) and value:
        return "[\n" + "".join(f"{inner}{render(v, indent + 4)},\n" for v in value) + pad + "]"
    return flat


def _arguments(request: dict[str, Any], indent: int) -> str:
    """Keyword arguments, one per line; keys that are not identifiers go through `**{...}`."""
    pad = " " * indent
    named = {k: v for k, v in request.items() if k.isidentifier() and not keyword.iskeyword(k)}
    others = {k: v for k, v in request.items() if k not in named}
    lines = [f"{pad}{k}={render(v, indent, len(k) + 1)},\n" for k, v in named.items()]
    if others:
        lines.append(f"{pad}**{render(others, indent, 2)},\n")
    return "".join(lines)


def _client_lines(connection: Connection) -> list[str]:
    """The import and the client the provider's connection names; the key read from the environment."""
    arguments = [("api_key", f"os.environ[{_py_str(connection.key_env)}]")]
    for name, value in connection.arguments:
        if not (name == "base_url" and value.rstrip("/") == DEFAULT_BASE_URL):  # the SDK's default: said by omission
            arguments.append((name, _py_str(value)))
    if len(arguments) == 1:
        client = f"client = {connection.sdk}(api_key={arguments[0][1]})"
    else:
        client = f"client = {connection.sdk}(\n" + "".join(f"    {k}={v},\n" for k, v in arguments) + ")"
    return [f"from openai import {connection.sdk}", "", client]


def target_of(settings: Settings) -> dict[str, Any]:
    """The keyword arguments of python_code/curl_command for these settings: the provider's connection, masked."""
    # Masked: the owner's URL may carry a token in its user name, password or query string.
    urls = {p.endpoint_field for p in PROVIDERS.values()}
    masked: dict[str, Any] = {name: mask_url(getattr(settings, name)) for name in urls}
    shown = replace(settings, **masked)
    return {"connection": provider_for(settings.provider).connection(shown), "redact": [settings.api_key]}


def python_code(request: dict[str, Any], *, connection: Connection, redact: Iterable[str] = ()) -> str:
    """Python that sends exactly this request; keys come from the environment, never from the text."""
    scrubbed = scrub(request, redact)
    streaming = scrubbed.get("stream") is True
    target = "stream" if streaming else "response"
    lines = ["import os", "", *_client_lines(connection), ""]
    lines.append(f"{target} = client.responses.create(\n{_arguments(scrubbed, 4)})")
    if streaming:
        lines += [
            "for event in stream:",
            '    if event.type == "response.output_text.delta":',
            '        print(event.delta, end="", flush=True)',
            "print()",
        ]
    else:
        lines.append("print(response.output_text)")
    return "\n".join(lines) + "\n"


# -- curl --------------------------------------------------------------------------------------


def curl_command(request: dict[str, Any], *, connection: Connection, redact: Iterable[str] = ()) -> str:
    """The same request as a curl command; the key and tool credentials are shell variables."""
    nonce = uuid.uuid4().hex
    names: dict[str, str] = {}

    def placeholder(value: Any) -> Any:
        # A unique marker in the JSON, swapped for a shell expansion once the body is quoted.
        if isinstance(value, EnvVar):
            marker = f"@@{nonce}:{value.name}@@"
            names[marker] = value.name
            return marker
        raise TypeError(f"cannot send {type(value).__name__} as JSON")

    body = json.dumps(scrub(request, redact), indent=2, ensure_ascii=False, default=placeholder)
    quoted = shlex.quote(body)
    for marker, name in names.items():
        # Close the single quotes, expand the variable inside double quotes, reopen them.
        quoted = quoted.replace(marker, f"'\"${name}\"'")
    auth = f'-H "{connection.auth_header.format(key="$" + connection.key_env)}"'
    parts = [f"curl {shlex.quote(connection.responses_url)}"]
    if request.get("stream") is True:
        parts.append("-N")  # print events as they arrive instead of buffering them
    parts += [auth, '-H "Content-Type: application/json"', f"-d {quoted}"]
    return " \\\n  ".join(parts) + "\n"
