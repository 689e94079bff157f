"""Request controls (truncation, limits, tier, caching, include, tool choice) and the request fields they set."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

# Allowed values, as the SDK's ResponseCreateParams types them (openai 3.54).
TRUNCATIONS = ("auto", "disabled")
VERBOSITIES = ("low", "medium", "high")
# The API also takes scale, fast (shown back as priority) and ultrafast (access-controlled): not offered here.
SERVICE_TIERS = ("auto", "default", "flex", "priority")
CACHE_RETENTIONS = ("in_memory", "24h")
LOGPROBS = "message.output_text.logprobs"
INCLUDES = ("web_search_call.action.sources", "file_search_call.results", "code_interpreter_call.outputs", LOGPROBS)
TOOL_CHOICES = ("auto", "required", "none")
ALLOWED_MODES = ("auto", "required")
MAX_TOP_LOGPROBS = 20
MIN_OUTPUT_TOKENS = 16  # the API refuses a smaller max_output_tokens
MAX_CACHE_KEY = 64
# Hosted tools `tool_choice: {"type": …}` can name (ToolChoiceTypesParam); web_search is not among them,
# so forcing it goes through allowed_tools with mode "required".
CHOOSABLE_TYPES = ("file_search", "code_interpreter", "image_generation")


@dataclass(frozen=True)
class RequestOptions:
    """The request controls of Setup → Model; None (or empty) means not sent, so the API's default holds."""

    truncation: str | None = None
    max_output_tokens: int | None = None
    max_tool_calls: int | None = None
    parallel_tool_calls: bool | None = None
    verbosity: str | None = None
    service_tier: str | None = None
    prompt_cache_key: str = ""
    prompt_cache_retention: str | None = None
    include: tuple[str, ...] = ()
    top_logprobs: int | None = None
    tool_choice: str | None = None  # auto | required | none | a tool key (see tool_key)
    allowed_tools: tuple[str, ...] = ()  # tool keys; any means tool_choice is an allowed_tools list
    allowed_mode: str = "auto"  # auto | required, for allowed_tools

    def problem(self, tool_keys: list[str] | None = None) -> str | None:
        """What makes these options unusable (a value the API refuses, a tool not offered), else None."""
        choices = {
            "truncation": (self.truncation, TRUNCATIONS),
            "text.verbosity": (self.verbosity, VERBOSITIES),
            "service_tier": (self.service_tier, SERVICE_TIERS),
            "prompt_cache_retention": (self.prompt_cache_retention, CACHE_RETENTIONS),
            "allowed_tools mode": (self.allowed_mode, ALLOWED_MODES),
        }
        for name, (value, allowed) in choices.items():
            if value is not None and value not in allowed:
                return f"{name} must be one of {', '.join(allowed)}, not {value!r}."
        if bad := [i for i in self.include if i not in INCLUDES]:
            return f"Unknown include option {bad[0]!r}; known: {', '.join(INCLUDES)}."
        if self.max_output_tokens is not None and self.max_output_tokens < MIN_OUTPUT_TOKENS:
            return f"Max output tokens must be at least {MIN_OUTPUT_TOKENS}."
        if self.max_tool_calls is not None and self.max_tool_calls < 1:
            return "Max tool calls must be at least 1."
        if self.top_logprobs is not None and not 0 <= self.top_logprobs <= MAX_TOP_LOGPROBS:
            return f"Top log probabilities must be between 0 and {MAX_TOP_LOGPROBS}."
        if len(self.prompt_cache_key) > MAX_CACHE_KEY:
            return f"The prompt cache key may be at most {MAX_CACHE_KEY} characters."
        if self.allowed_tools and self.tool_choice not in (None, "auto", "required"):
            return "Choose either one tool to force or a list of allowed tools, not both."
        if tool_keys is not None:
            named = [k for k in (self.tool_choice, *self.allowed_tools) if k and k not in TOOL_CHOICES]
            if missing := [k for k in named if k not in tool_keys]:
                return f"Tool choice names {tool_label(missing[0])}, which is not among the tools turned on."
        return None


def from_data(raw: Any) -> RequestOptions:
    """Options from a profile's JSON; raises ValueError naming what is wrong."""
    if raw in (None, {}):
        return RequestOptions()
    if not isinstance(raw, dict):
        raise ValueError("Its request options must be an object.")
    known = {f.name for f in dataclasses.fields(RequestOptions)}
    if unknown := set(raw) - known:
        raise ValueError(f"Unknown request options: {', '.join(sorted(unknown))}.")
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    for name, value in values.items():
        if value is not None and not _has_type(name, value):
            raise ValueError(f"Bad request options: {name} cannot be {value!r}.")
    options = RequestOptions(**values)
    if problem := options.problem():
        raise ValueError(f"Bad request options: {problem}")
    return options


_INTS = ("max_output_tokens", "max_tool_calls", "top_logprobs")


def _has_type(name: str, value: Any) -> bool:
    if name in _INTS:
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "parallel_tool_calls":
        return isinstance(value, bool)
    if name in ("include", "allowed_tools"):
        return isinstance(value, tuple) and all(isinstance(v, str) for v in value)
    return isinstance(value, str)


def tool_key(tool: dict[str, Any]) -> str:
    """A short name for one entry of the `tools` list: `function:<name>`, `mcp:<label>` or the tool's type."""
    kind = str(tool.get("type"))
    if kind == "function":
        return f"function:{tool.get('name')}"
    if kind == "mcp":
        return f"mcp:{tool.get('server_label')}"
    return kind


def tool_label(key: str) -> str:
    """How a tool key reads on Setup."""
    kind, _, name = key.partition(":")
    if name:
        return f"{'function' if kind == 'function' else 'MCP server'} {name}"
    return key.replace("_", " ").capitalize()


def _reference(key: str) -> dict[str, Any]:
    """A tool key as the API names a tool in tool_choice and allowed_tools."""
    kind, _, name = key.partition(":")
    if kind == "function":
        return {"type": "function", "name": name}
    if kind == "mcp":
        return {"type": "mcp", "server_label": name}
    return {"type": kind}


def tool_choice(options: RequestOptions) -> str | dict[str, Any] | None:
    """The `tool_choice` value these options ask for, or None to leave the API's default (auto)."""
    if options.allowed_tools:
        return {
            "type": "allowed_tools",
            "mode": options.allowed_mode,
            "tools": [_reference(key) for key in options.allowed_tools],
        }
    choice = options.tool_choice
    if choice is None or choice in TOOL_CHOICES:
        return choice
    if choice.startswith(("function:", "mcp:")) or choice in CHOOSABLE_TYPES:
        return _reference(choice)
    return {"type": "allowed_tools", "mode": "required", "tools": [_reference(choice)]}


def visitor_cache_key(safety_identifier: str, key: str) -> str:
    """A cache key of one visitor of a shared deployment: theirs alone, whatever they typed.

    The key routes requests to the same cache; two visitors typing one key on the owner's account would
    share it, and the timing of a cache hit could tell one what the other sent.
    """
    return f"{safety_identifier[:16]}-{key}"[:MAX_CACHE_KEY]


def with_options(request: dict[str, Any], options: RequestOptions, cap: int | None = None) -> dict[str, Any]:
    """The request with the fields these options set; `cap` (the owner's MAX_OUTPUT_TOKENS) always wins."""
    out = dict(request)
    limits = [n for n in (options.max_output_tokens, cap) if n]
    if limits:
        out["max_output_tokens"] = min(limits)
    scalars = {
        "truncation": options.truncation,
        "max_tool_calls": options.max_tool_calls,
        "parallel_tool_calls": options.parallel_tool_calls,
        "service_tier": options.service_tier,
        "prompt_cache_key": options.prompt_cache_key or None,
        "prompt_cache_retention": options.prompt_cache_retention,
        "top_logprobs": options.top_logprobs,
    }
    out.update({name: value for name, value in scalars.items() if value is not None})
    if options.verbosity:
        out["text"] = {**out.get("text", {}), "verbosity": options.verbosity}
    if options.include:
        out["include"] = list(dict.fromkeys([*out.get("include", []), *options.include]))
    # A choice with no tools to apply to is refused by the API; without tools there is nothing to choose.
    if out.get("tools") and (choice := tool_choice(options)) is not None:
        out["tool_choice"] = choice
    return out
