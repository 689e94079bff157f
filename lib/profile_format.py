"""Profiles: a named assistant (provider, model, instructions, tools, options) without any secret."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lib import request_options
from lib.settings import Settings
from lib.strict_schema import schema_problem
from lib.tools import McpServer, ToolSettings

FORMAT = 1
BUILTIN_DIR = Path(__file__).resolve().parents[1] / "profiles"
# Settings a profile carries; the key, MCP headers, mode and storage belong to the person or the deployment.
FIELDS = (
    "provider",
    "base_url",
    "azure_endpoint",
    "api_version",
    "model",
    "instructions",
    "prompt_template",
    "prompt_version",
    "temperature",
    "reasoning_effort",
    "store",
    "background",
)
# Where requests (and the key typed next) go: a profile opened by a link must not choose that.
ENDPOINT_FIELDS = ("provider", "base_url", "azure_endpoint", "api_version")


def to_data(settings: Settings) -> dict[str, Any]:
    """The JSON-ready profile of these settings."""
    tools = dataclasses.asdict(settings.tools)
    for server in tools["mcp_servers"]:
        server.pop("headers")  # secrets, like the key: never in a profile or its export
    options = dataclasses.asdict(settings.options)
    return {"format": FORMAT, **{name: getattr(settings, name) for name in FIELDS}, "tools": tools, "options": options}


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def from_data(data: dict[str, Any]) -> dict[str, Any]:
    """Session settings from a profile; raises ValueError naming what is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f'Not a Responses Studio profile: it needs "format": {FORMAT}.')
    unknown = set(data) - {*FIELDS, "tools", "options", "format", "name"}
    if unknown:
        raise ValueError(f"Unknown profile fields: {', '.join(sorted(unknown))}.")
    # Empty values mean "not part of this profile": the deployment's own endpoint and key still apply.
    chosen = {name: data[name] for name in FIELDS if data.get(name) not in (None, "")}
    # A profile says which template it uses, or that it uses none: loading it never keeps the previous one's.
    template, version = data.get("prompt_template") or "", data.get("prompt_version")
    if not isinstance(template, str) or not (version is None or (isinstance(version, int) and version > 0)):
        raise ValueError("prompt_template must be a name and prompt_version a positive whole number.")
    chosen |= {"prompt_template": template, "prompt_version": version}
    raw_tools = dict(data.get("tools") or {})
    known = {f.name for f in dataclasses.fields(ToolSettings)}
    if bad := set(raw_tools) - known:
        raise ValueError(f"Unknown tool settings: {', '.join(sorted(bad))}.")
    servers = tuple(McpServer(**{k: _tuples(v) for k, v in s.items()}) for s in raw_tools.pop("mcp_servers", []))
    try:
        chosen["tools"] = ToolSettings(**{k: _tuples(v) for k, v in raw_tools.items()}, mcp_servers=servers)
    except TypeError as error:
        raise ValueError(f"Bad tool settings: {error}.") from error
    chosen["options"] = request_options.from_data(data.get("options"))
    schema = chosen["tools"].json_schema
    # The check Setup makes: a schema the API refuses would fail every turn of whoever opens the profile.
    problem = schema_problem(schema) if isinstance(schema, str) else "It must be the schema as JSON text."
    if problem:
        raise ValueError(f"Its structured-output schema is not usable: {problem}")
    return chosen


def builtin() -> dict[str, dict[str, Any]]:
    """The example profiles shipped with the app, by name (read-only, for everyone)."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(BUILTIN_DIR.glob("*.json"))}


def is_shipped(name: str) -> bool:
    """True for the name of a shipped profile (any case): nobody's profile may take it."""
    wanted = name.strip().lower()
    return any(wanted == shipped.lower() for shipped in builtin())


def name_refusal(name: str) -> str | None:
    """Why a profile may not be saved under this name, else None."""
    if is_shipped(name):
        return (
            f"{name.strip()!r} is the name of a profile that comes with the app; "
            "pick another name so that a link to it always opens the original."
        )
    return None


def without_endpoint(data: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The profile without its endpoint settings, and the host it wanted requests to go to (if any)."""
    kept = {k: v for k, v in data.items() if k not in ENDPOINT_FIELDS}
    wanted = next((str(data[k]) for k in ("azure_endpoint", "base_url") if data.get(k)), None)
    if wanted is None:
        return kept, "another provider" if data.get("provider") else None
    try:
        host = urlsplit(wanted).hostname
    except ValueError:
        host = None
    return kept, host or "an address that is not a URL"


def keep_headers(tools: ToolSettings, current: ToolSettings) -> ToolSettings:
    """The profile's tools with the MCP headers typed in this session, only for servers whose label
    and URL both match: a header must never follow a label to another server."""
    typed = {(s.label, s.url): s.headers for s in current.mcp_servers}
    servers = tuple(dataclasses.replace(s, headers=typed.get((s.label, s.url), ())) for s in tools.mcp_servers)
    return dataclasses.replace(tools, mcp_servers=servers)
