"""Function registry: typed Python functions exposed to the model as strict function tools."""

from __future__ import annotations

import asyncio
import copy
import importlib
import inspect
import itertools
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin, get_type_hints, overload

import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from lib.strict_schema import make_strict, strict_problem

log = logging.getLogger(__name__)

_ARGS_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters|Params):\s*$")
_ARG_ENTRY = re.compile(r"^(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


@dataclass(frozen=True)
class FunctionTool:
    """One registered function with its strict schema and its pydantic argument model."""

    name: str
    description: str
    params_schema: dict[str, Any]
    function: Callable[..., Any]
    params_model: type[BaseModel]
    card: str | None = None

    def to_api(self) -> dict[str, Any]:
        """Return the Responses API tool dict."""
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": copy.deepcopy(self.params_schema),
            "strict": True,
        }


@dataclass(frozen=True)
class CallResult:
    """Outcome of one function call: the text for the model, an error if any, the raw value."""

    output: str
    error: str | None = None
    value: Any = None


_REGISTRY: dict[str, FunctionTool] = {}


# --- schema, in numbered stages -------------------------------------------------------------


def _parse_docstring(func: Callable[..., Any]) -> tuple[str, dict[str, str]]:
    """Stage 1: the first docstring paragraph and the Google-style `Args:` descriptions."""
    lines = (inspect.getdoc(func) or "").splitlines()
    first = itertools.takewhile(lambda line: line.strip() and not _ARGS_HEADER.match(line), lines)
    params: dict[str, str] = {}
    current, entry_indent, in_args = None, None, False
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if _ARGS_HEADER.match(line):
            current, entry_indent, in_args = None, None, True
        elif in_args and line.strip() and indent == 0:  # a dedented line ("Returns:") ends it
            in_args = False
        elif in_args and line.strip():
            entry = _ARG_ENTRY.match(line.strip())
            if entry and (entry_indent is None or indent <= entry_indent):
                entry_indent, current = indent, entry.group(1)
                params[current] = entry.group(2)
            elif current:  # continuation line of the previous entry
                params[current] += " " + line.strip()
    return " ".join(" ".join(first).split()), {k: v.strip() for k, v in params.items()}


def _annotated_description(annotation: Any) -> str | None:
    """Return the first plain string in `Annotated[...]` metadata, if any."""
    if get_origin(annotation) is Annotated:
        return next((m for m in get_args(annotation)[1:] if isinstance(m, str)), None)
    return None


def _fields(func: Callable[..., Any], docs: dict[str, str]) -> dict[str, Any]:
    """Stage 2: pydantic field definitions from the signature, type hints and descriptions."""
    hints = get_type_hints(func, include_extras=True)
    fields: dict[str, Any] = {}
    for name, param in inspect.signature(func).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"{func.__name__}: *args/**kwargs cannot be described in a strict schema")
        if name not in hints:
            # A strict schema needs a type for every argument; fail at import, not mid-chat.
            raise TypeError(f"{func.__name__}: parameter {name!r} needs a type hint")
        extra: dict[str, Any] = {}
        # The Annotated string sits on the parameter itself, so it wins over the docstring.
        description = _annotated_description(hints[name]) or docs.get(name)
        if description:
            extra["description"] = description
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[name] = (hints[name], Field(default, **extra))
    return fields


def build_tool(
    func: Callable[..., Any], *, name: str | None = None, description: str | None = None, card: str | None = None
) -> FunctionTool:
    """Derive a FunctionTool from a typed function, without registering it."""
    tool_name = name or func.__name__
    summary, param_docs = _parse_docstring(func)  # 1
    fields = _fields(func, param_docs)  # 2
    model = create_model(  # 3: extra="forbid" mirrors additionalProperties false at validation
        f"{tool_name}_args", __config__=ConfigDict(extra="forbid"), **fields
    )
    raw = model.model_json_schema()  # 4
    try:
        schema = make_strict(raw)  # 5
    except TypeError as exc:
        raise TypeError(f"{tool_name}: {exc}") from None
    if problem := strict_problem(schema):  # 6: the rule structured output is checked by, too
        raise TypeError(f"{tool_name}: {problem}")
    return FunctionTool(tool_name, description or summary, schema, func, model, card)


# --- the registry ---------------------------------------------------------------------------


@overload
def tool(func: Callable[..., Any], /) -> Callable[..., Any]: ...
@overload
def tool(
    *, name: str | None = None, description: str | None = None, card: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]: ...
def tool(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    card: str | None = None,
) -> Any:
    """Register a typed function as a tool; use bare or as `@tool(name=..., card=...)`."""

    def register(f: Callable[..., Any]) -> Callable[..., Any]:
        built = build_tool(f, name=name, description=description, card=card)
        known = _REGISTRY.get(built.name)
        # A module reloaded by Streamlit re-registers the same function; anything else is a clash.
        if known and (known.function.__module__, known.function.__qualname__) != (f.__module__, f.__qualname__):
            raise ValueError(f"function tool {built.name!r} is already registered by {known.function}")
        _REGISTRY[built.name] = built
        return f

    return register(func) if func is not None else register


def registry() -> dict[str, FunctionTool]:
    """Return every registered tool by name, loading the built-in `lib.functions` first."""
    importlib.import_module("lib.functions")
    return dict(_REGISTRY)


def all_tools() -> list[FunctionTool]:
    """Return every registered tool, in registration order."""
    return list(registry().values())


def schema_for(names: Iterable[str]) -> list[dict[str, Any]]:
    """Return the Responses API tool dicts for the named functions; unknown names are skipped."""
    tools = registry()
    # A saved profile may name a function that no longer exists; it must not break the request.
    return [tools[n].to_api() for n in names if n in tools]


# --- running calls --------------------------------------------------------------------------


def _error(exc: BaseException) -> CallResult:
    """Turn an exception into the error result sent back to the model."""
    if isinstance(exc, ValidationError):
        # pydantic's own text carries URLs and line noise; the model needs field and reason.
        detail = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        text = f"ValidationError: invalid arguments for {exc.title.removesuffix('_args')}: {detail}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return CallResult(output=f"Error: {text}", error=text)


def run_call(name: str, arguments: str, tools: Mapping[str, FunctionTool] | None = None) -> CallResult:
    """Validate the JSON arguments, call the function and return its result; never raises."""
    try:
        found = (registry() if tools is None else tools).get(name)
        if found is None:
            raise LookupError(f"unknown function {name!r}")
        data = json.loads(arguments or "{}")
        if not isinstance(data, dict):
            raise TypeError(f"arguments must be a JSON object, got {type(data).__name__}")
        validated = found.params_model.model_validate(data)
        # Iterating a model gives its fields without dumping nested models to dicts.
        value = found.function(**dict(validated))
        if inspect.iscoroutine(value):
            value = asyncio.run(value)
        output = value if isinstance(value, str) else pydantic_core.to_json(value, fallback=str).decode()
        return CallResult(output=output, value=value)
    except Exception as exc:  # the model gets the error as text; the chat must go on
        log.info("function %s failed", name, exc_info=True)
        return _error(exc)


def run_calls(
    calls: list[tuple[str, str, str]], timeout: float = 30, tools: Mapping[str, FunctionTool] | None = None
) -> list[tuple[str, CallResult]]:
    """Run (call_id, name, arguments) calls concurrently; results come back in the given order."""
    if not calls:
        return []
    tools = registry() if tools is None else tools
    pool = ThreadPoolExecutor(max_workers=min(len(calls), 16), thread_name_prefix="tool")
    futures = [pool.submit(run_call, name, args, tools) for _, name, args in calls]
    deadline = time.monotonic() + timeout
    results: list[tuple[str, CallResult]] = []
    try:
        for (call_id, name, _), future in zip(calls, futures, strict=True):
            try:
                results.append((call_id, future.result(timeout=max(0.0, deadline - time.monotonic()))))
            except FutureTimeout:
                results.append((call_id, _error(TimeoutError(f"{name} did not finish within {timeout:g} s"))))
    finally:
        # A Python thread cannot be killed: let a stuck call finish in the background
        # instead of blocking the chat turn on it.
        pool.shutdown(wait=False, cancel_futures=True)
    return results
