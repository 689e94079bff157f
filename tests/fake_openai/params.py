"""The API's checks on a create request's own parameters: enum values, number ranges, types and tool choice.

Allowed values are read from the SDK's `ResponseCreateParams` types, so the double accepts exactly what the
SDK types say. Messages and codes follow the API's usual wording for these errors ("Invalid value: …",
`invalid_value`, `integer_below_min_value`, …); the exact text of each was not checked against the live API.
"""

from __future__ import annotations

import typing
from typing import Any

from openai.types.responses import ResponseIncludable
from openai.types.responses.response_create_params import ResponseCreateParamsBase
from openai.types.responses.response_text_config_param import ResponseTextConfigParam
from openai.types.responses.tool_choice_allowed_param import ToolChoiceAllowedParam
from openai.types.responses.tool_choice_options import ToolChoiceOptions

from .checks import Refusal

Json = dict[str, Any]


def literals(annotation: Any) -> tuple[str, ...]:
    """Every string a (possibly Optional, possibly nested) Literal type allows."""
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(a for a in typing.get_args(annotation) if isinstance(a, str))
    return tuple(v for arg in typing.get_args(annotation) for v in literals(arg))


_PARAMS = typing.get_type_hints(ResponseCreateParamsBase)
ENUMS = {
    "truncation": literals(_PARAMS["truncation"]),
    "service_tier": literals(_PARAMS["service_tier"]),
    "prompt_cache_retention": literals(_PARAMS["prompt_cache_retention"]),
}
VERBOSITIES = literals(typing.get_type_hints(ResponseTextConfigParam)["verbosity"])
INCLUDABLE = literals(ResponseIncludable)
TOOL_CHOICE_OPTIONS = literals(ToolChoiceOptions)
ALLOWED_MODES = literals(typing.get_type_hints(ToolChoiceAllowedParam)["mode"])
# name -> (lowest, highest or None)
RANGES = {"max_output_tokens": (16, None), "max_tool_calls": (0, None), "top_logprobs": (0, 20)}
MAX_CACHE_KEY = 64


def _quoted(values: tuple[str, ...]) -> str:
    items = [f"'{v}'" for v in values]
    return ", ".join(items[:-1]) + f", and {items[-1]}" if len(items) > 1 else items[0]


def _invalid_value(value: Any, allowed: tuple[str, ...], param: str) -> Refusal:
    return Refusal(f"Invalid value: '{value}'. Supported values are: {_quoted(allowed)}.", param, "invalid_value")


def _invalid_type(param: str, expected: str, value: Any) -> Refusal:
    got = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), "null")
    return Refusal(f"Invalid type for '{param}': expected {expected}, but got {got} instead.", param, "invalid_type")


def check_params(body: Json) -> Refusal | None:
    """A Refusal for the first parameter the API would reject, else None."""
    for name, allowed in ENUMS.items():
        if body.get(name) is not None and body[name] not in allowed:
            return _invalid_value(body[name], allowed, name)
    verbosity = (body.get("text") or {}).get("verbosity")
    if verbosity is not None and verbosity not in VERBOSITIES:
        return _invalid_value(verbosity, VERBOSITIES, "text.verbosity")
    for index, value in enumerate(body.get("include") or []):
        if value not in INCLUDABLE:
            return _invalid_value(value, INCLUDABLE, f"include[{index}]")
    for name, (low, high) in RANGES.items():
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            return _invalid_type(name, "an integer", value)
        if value < low:
            return Refusal(
                f"Invalid '{name}': integer below minimum value. Expected a value >= {low}, but got {value} instead.",
                name,
                "integer_below_min_value",
            )
        if high is not None and value > high:
            return Refusal(
                f"Invalid '{name}': integer above maximum value. Expected a value <= {high}, but got {value} instead.",
                name,
                "integer_above_max_value",
            )
    if body.get("parallel_tool_calls") is not None and not isinstance(body["parallel_tool_calls"], bool):
        return _invalid_type("parallel_tool_calls", "a boolean", body["parallel_tool_calls"])
    key = body.get("prompt_cache_key")
    if key is not None and (not isinstance(key, str) or len(key) > MAX_CACHE_KEY):
        if not isinstance(key, str):
            return _invalid_type("prompt_cache_key", "a string", key)
        return Refusal(
            f"Invalid 'prompt_cache_key': string too long. Expected a string with maximum length "
            f"{MAX_CACHE_KEY}, but got a string with length {len(key)} instead.",
            "prompt_cache_key",
            "string_above_max_length",
        )
    return check_tool_choice(body.get("tool_choice"), body.get("tools") or [])


def check_tool_choice(choice: Any, tools: list[Json]) -> Refusal | None:
    """The tool choice must be a known mode, or name tools the request offers."""
    if choice is None:
        return None
    if isinstance(choice, str):
        return None if choice in TOOL_CHOICE_OPTIONS else _invalid_value(choice, TOOL_CHOICE_OPTIONS, "tool_choice")
    if not isinstance(choice, dict):
        return _invalid_type("tool_choice", "one of a string or an object", choice)
    if choice.get("type") == "allowed_tools":
        if choice.get("mode") not in ALLOWED_MODES:
            return _invalid_value(choice.get("mode"), ALLOWED_MODES, "tool_choice.mode")
        for index, wanted in enumerate(choice.get("tools") or []):
            if not any(_names(wanted, tool) for tool in tools):
                return Refusal(
                    f"Tool '{_label(wanted)}' in allowed_tools not found in 'tools' parameter.",
                    f"tool_choice.tools[{index}]",
                )
        return None
    if not any(_names(choice, tool) for tool in tools):
        return Refusal(f"Tool choice '{_label(choice)}' not found in 'tools' parameter.", "tool_choice")
    return None


def _names(reference: Json, tool: Json) -> bool:
    """Whether a tool_choice / allowed_tools reference names this entry of `tools`."""
    kind = reference.get("type")
    if kind != tool.get("type"):
        return False
    if kind == "function":
        return reference.get("name") == tool.get("name")
    if kind == "mcp":
        return reference.get("server_label") == tool.get("server_label")
    return True


def _label(reference: Json) -> str:
    return str(reference.get("name") or reference.get("server_label") or reference.get("type"))
