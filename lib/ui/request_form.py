"""Setup → Model's request controls: widgets over RequestOptions, returning the edited value."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lib.request_options import (
    ALLOWED_MODES,
    CACHE_RETENTIONS,
    INCLUDES,
    LOGPROBS,
    MAX_CACHE_KEY,
    MAX_TOP_LOGPROBS,
    MIN_OUTPUT_TOKENS,
    SERVICE_TIERS,
    TOOL_CHOICES,
    TRUNCATIONS,
    VERBOSITIES,
    RequestOptions,
    tool_label,
)

UNSET = "not set"
INCLUDE_LABELS = {
    "web_search_call.action.sources": "Web search sources",
    "file_search_call.results": "File search results",
    "code_interpreter_call.outputs": "Code interpreter outputs",
    LOGPROBS: "Log probabilities of the answer's tokens",
}
ON_OFF = {True: "on", False: "off"}
SHOWN = "request_form_shown"  # the saved options the widgets were last filled from
WIDGETS = (
    "request_max_output_tokens",
    "request_max_tool_calls",
    "request_parallel",
    "request_truncation",
    "request_verbosity",
    "request_service_tier",
    "request_cache_key",
    "request_cache_retention",
    "request_include",
    "request_top_logprobs",
    "request_tool_choice",
    "request_allowed_tools",
    "request_allowed_mode",
)


def _refill(current: RequestOptions) -> None:
    """Widgets keep their own state by key: when the saved options change (a profile loaded, a save), drop it
    so they show what is saved now, instead of a Save writing stale values over a loaded profile."""
    if st.session_state.get(SHOWN) != current:
        for key in WIDGETS:
            st.session_state.pop(key, None)
        st.session_state[SHOWN] = current


def _pick(label: str, values: tuple[Any, ...], current: Any, key: str, help: str, name: Any = str) -> Any:
    """A select box whose first entry, 'not set', means the field is not sent."""
    options = (None, *values)
    index = options.index(current) if current in options else 0

    def shown(value: Any) -> str:
        # UNSET itself too: AppTest's select_index formats the label it picked once more.
        return UNSET if value in (None, UNSET) else ON_OFF[value] if isinstance(value, bool) else name(value)

    return st.selectbox(label, options, index=index, key=key, help=help, format_func=shown)


def _number(label: str, current: int | None, key: str, help: str, low: int, high: int | None = None) -> int | None:
    value = st.number_input(
        label, min_value=low, max_value=high, value=current, step=1, key=key, help=help, placeholder=UNSET
    )
    return None if value is None else int(value)


def _tool_choice(current: RequestOptions, tool_keys: list[str]) -> dict[str, Any]:
    """Tool choice: a mode, one tool to force, or a list of allowed tools."""
    named = [k for k in (current.tool_choice, *current.allowed_tools) if k and k not in TOOL_CHOICES]
    keys = list(dict.fromkeys([*tool_keys, *named]))  # a saved choice stays visible, so it can be cleared
    choice = _pick(
        "Tool choice",
        (*TOOL_CHOICES, *keys),
        current.tool_choice,
        "request_tool_choice",
        "auto: the model decides; required: it must call a tool; none: no tool this time; or force "
        "one tool. Applies only when tools are turned on (Tools tab).",
        name=lambda v: v if v in TOOL_CHOICES else tool_label(v),
    )
    allowed = st.multiselect(
        "Allowed tools",
        keys,
        default=list(current.allowed_tools),
        key="request_allowed_tools",
        format_func=tool_label,
        help="Offer every tool but let the model call only these (tool_choice allowed_tools: "
        "the tool list stays the same, so the prompt cache still hits).",
    )
    mode = st.selectbox(
        "Allowed tools mode",
        ALLOWED_MODES,
        index=ALLOWED_MODES.index(current.allowed_mode),
        key="request_allowed_mode",
        disabled=not allowed,
        help="auto: may answer without a tool; required: must call one of the allowed tools.",
    )
    return {"tool_choice": choice, "allowed_tools": tuple(allowed), "allowed_mode": mode}


def request_form(current: RequestOptions, tool_keys: list[str], *, cap: int | None = None) -> RequestOptions:
    """The request controls; 'not set' leaves a field out of the request, so the API's default holds."""
    _refill(current)
    st.subheader(
        "Request options",
        help="Each one set here is sent with every turn and shown in View as code; "
        "providers that lack a field are unaffected while it is not set.",
    )
    left, right = st.columns(2)
    with left:
        limit_help = "Upper bound on the answer's tokens, reasoning included; the answer stops there (incomplete)."
        if cap:
            limit_help += f" On the app's key every request is capped at {cap:,}, whatever is set here."
        max_output = _number(
            "Max output tokens", current.max_output_tokens, "request_max_output_tokens", limit_help, MIN_OUTPUT_TOKENS
        )
        max_tool_calls = _number(
            "Max tool calls",
            current.max_tool_calls,
            "request_max_tool_calls",
            "Most calls to built-in tools (web search, file search, …) in one response; further calls are ignored.",
            1,
        )
        parallel = _pick(
            "Parallel tool calls",
            (True, False),
            current.parallel_tool_calls,
            "request_parallel",
            "Whether the model may call several tools at once (the API's default: on).",
        )
        truncation = _pick(
            "Truncation",
            TRUNCATIONS,
            current.truncation,
            "request_truncation",
            "auto: drop the oldest items when the conversation outgrows the context window; "
            "disabled (the API's default): such a request fails with an error.",
        )
        verbosity = _pick(
            "Verbosity",
            VERBOSITIES,
            current.verbosity,
            "request_verbosity",
            "text.verbosity: shorter or longer answers (GPT-5 models; others take medium only).",
        )
    with right:
        tier = _pick(
            "Service tier",
            SERVICE_TIERS,
            current.service_tier,
            "request_service_tier",
            "auto: the project's setting; default: standard price and speed; flex: about half "
            "the price, slower, may be refused when busy; priority: faster, at a higher price. "
            "The cost shown uses the tier the response says it ran on.",
        )
        cache_key = st.text_input(
            "Prompt cache key",
            value=current.prompt_cache_key,
            key="request_cache_key",
            max_chars=MAX_CACHE_KEY,
            help="Requests with the same key and prefix are routed to the same cache, "
            "so more input is read from cache (billed cheaper).",
        )
        retention = _pick(
            "Prompt cache retention",
            CACHE_RETENTIONS,
            current.prompt_cache_retention,
            "request_cache_retention",
            "in_memory: minutes; 24h: extended caching, kept up to a day (supported models only).",
        )
        include = st.multiselect(
            "Include",
            INCLUDES,
            default=list(current.include),
            key="request_include",
            format_func=INCLUDE_LABELS.__getitem__,
            help="Extra output in the response. The sources, results and outputs of the "
            "tools turned on are always included (the chat shows them).",
        )
        top = _number(
            "Top log probabilities",
            current.top_logprobs,
            "request_top_logprobs",
            "How many likely alternatives to return for each token (0–20), with the log "
            "probabilities include; not for reasoning models.",
            0,
            MAX_TOP_LOGPROBS,
        )
    choice = _tool_choice(current, tool_keys)
    return RequestOptions(
        truncation=truncation,
        max_output_tokens=max_output,
        max_tool_calls=max_tool_calls,
        parallel_tool_calls=parallel,
        verbosity=verbosity,
        service_tier=tier,
        prompt_cache_key=(cache_key or "").strip(),
        prompt_cache_retention=retention,
        include=tuple(include),
        top_logprobs=top,
        **choice,
    )
