"""Compare: one prompt to 2-4 differently set assistants, each column on its own thread (no Streamlit)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from lib.conversations import Thread
from lib.profile_format import from_data, keep_headers, without_endpoint
from lib.settings import Settings
from lib.stream import Turn
from lib.tools import ToolSettings, tools_for

MIN_COLUMNS, MAX_COLUMNS = 2, 4
COMPARE_TAG = "compare"  # the History tag of every response a compare run records
VERBOSITIES = ("low", "medium", "high")
SERVICE_TIERS = ("auto", "default", "flex", "priority")


@dataclass(frozen=True)
class ColumnSpec:
    """What one column runs with: a saved profile (or the current settings) and overrides; None = as set."""

    profile: str | None = None
    model: str | None = None
    reasoning_effort: str | None = None
    verbosity: str | None = None
    temperature: float | None = None
    instructions: str | None = None
    tools: bool = True  # False: this column offers the model no tools at all
    service_tier: str | None = None


@dataclass
class Column:
    """One column of a comparison: its spec, its own server-side thread, and its finished turns."""

    spec: ColumnSpec = field(default_factory=ColumnSpec)
    thread: Thread = field(default_factory=Thread)
    turns: list[Turn] = field(default_factory=list)
    settings: Settings | None = None  # what its last turn ran with (for View as code and Save as profile)


def without_tools(tools: ToolSettings) -> ToolSettings:
    """The same tool settings with every tool off (structured output and reasoning summaries stay)."""
    return replace(
        tools,
        web_search=False,
        file_search=False,
        code_interpreter=False,
        image_generation=False,
        mcp_servers=(),
        functions=(),
    )


def column_settings(base: Settings, spec: ColumnSpec, profile: dict[str, Any] | None = None) -> Settings:
    """The settings a column runs with: the base, then the profile (never its endpoint), then the overrides.

    Raises ValueError (saying what is wrong) for a profile that cannot be used.
    """
    settings = base
    if profile is not None:
        # Every column talks to this session's endpoint with this session's key: a profile picks the
        # assistant, not where the key goes (as a profile opened by a link).
        chosen = from_data(without_endpoint(profile)[0])
        if (tools := chosen.get("tools")) is not None:
            chosen["tools"] = keep_headers(tools, base.tools)
        settings = replace(settings, **chosen)
    changes: dict[str, Any] = {
        name: getattr(spec, name)
        for name in ("model", "reasoning_effort", "temperature")
        if getattr(spec, name) not in (None, "")
    }
    # Verbosity and tier are request controls (lib/request_options.py): set over the column's own.
    if picked := {name: getattr(spec, name) for name in ("verbosity", "service_tier") if getattr(spec, name)}:
        changes["options"] = replace(settings.options, **picked)
    if spec.instructions is not None and spec.instructions.strip():
        changes["instructions"] = spec.instructions
    if not spec.tools:
        changes["tools"] = without_tools(settings.tools)
    return replace(settings, **changes)


def describe(settings: Settings) -> str:
    """The settings that tell columns apart, in a few words (outside text: escape before drawing)."""
    parts = [settings.model]
    if settings.reasoning_effort:
        parts.append(f"effort {settings.reasoning_effort}")
    if settings.options.verbosity:
        parts.append(f"verbosity {settings.options.verbosity}")
    if settings.temperature is not None:
        parts.append(f"temperature {settings.temperature:g}")
    if settings.options.service_tier:
        parts.append(f"{settings.options.service_tier} tier")
    if not tools_for(settings.tools):
        parts.append("no tools")
    return " · ".join(parts)


def timing_line(turn: Turn) -> str:
    """Time to first token and total time of a turn, as far as they are known."""
    parts = []
    if turn.ttft_ms is not None:
        parts.append(f"first token {turn.ttft_ms / 1000:.2f} s")
    if turn.latency_ms is not None:
        parts.append(f"total {turn.latency_ms / 1000:.2f} s")
    return " · ".join(parts)
