"""The spending cap in the app: this session's identity, the store's counter, and the messages shown."""

from __future__ import annotations

import os
from dataclasses import replace

import streamlit as st

from lib import access, budget
from lib.settings import COMMON_MODELS, Settings, secrets_dict
from lib.store import StoreError
from lib.stream import Turn
from lib.ui import gate, state
from lib.ui.context import Page

UNAVAILABLE = (
    "The spending cap on the app's key cannot be checked right now (the history database did not "
    "answer), so new messages on it are paused. Try again shortly, or add your own key on Setup."
)


def config() -> budget.BudgetConfig:
    """BUDGET_USD (or SESSION_BUDGET_USD), ALLOWED_MODELS and MAX_OUTPUT_TOKENS from secrets and environment."""
    return budget.budget_config(secrets_dict(lambda: st.secrets), os.environ)


def applies(current: Settings) -> bool:
    """Limits hold on the owner's key in shared mode; visitors on their own key pay their own way."""
    return access.owner_key_in_use(current)


def identity(page: Page) -> str:
    """Whom this session's spending counts against: the signed-in person, else the visitor's address."""
    kind = access.gate_for(page.configured, gate.config())
    ip = state.peer_ip() or st.context.ip_address  # the TCP peer first: the page cannot forge it
    return budget.identity(page.owner, shared_login=kind == access.LOGIN, peer_ip=ip if isinstance(ip, str) else None)


def spent(page: Page) -> float:
    """Dollars this identity has spent on the owner's key today (UTC)."""
    return page.store.spend.spent(identity(page), budget.period())


def limited(current: Settings) -> Settings:
    """The settings a turn runs with: on the owner's key, every request bounded by MAX_OUTPUT_TOKENS."""
    if not applies(current):
        return current
    return replace(current, max_output_tokens=config().max_output_tokens)


def _md(text: str) -> str:
    return text.replace("$", "\\$")  # markdown would read $…$ as math


def _worst_case(
    current: Settings, prompt: str, cfg: budget.BudgetConfig, turns: list[Turn] | None = None
) -> float | None:
    """The most this turn could cost: the input carried so far plus the prompt, and a full MAX_OUTPUT_TOKENS.

    `turns`: the thread the prompt continues (a Compare column's); the chat's transcript by default.
    """
    transcript = state.transcript() if turns is None else turns
    return budget.worst_case_usd(
        current.model,
        budget.input_estimate(prompt, transcript[-1] if transcript else None),
        cfg,
        current.options.service_tier,
    )


def refusal(page: Page, prompt: str = "", turns: list[Turn] | None = None) -> str | None:
    """Why a turn may not start on the owner's key (model not allowed, cap reached or too close), else None."""
    current = page.settings
    if not applies(current):
        return None
    cfg = config()
    if blocked := budget.model_refusal(current.model, cfg, COMMON_MODELS):
        return _md(blocked)
    if cfg.cap_usd is None:
        return None
    worst = _worst_case(current, prompt, cfg, turns)
    try:
        used = spent(page)
    except StoreError:
        return UNAVAILABLE
    blocked = budget.cap_refusal(used, cfg.cap_usd, worst)
    return _md(blocked) if blocked else None


def open_tab(
    page: Page, prompt: str = "", *, reserve: bool = True, turns: list[Turn] | None = None
) -> budget.Tab | None:
    """Reserve the turn's worst case under this identity; None when no cap applies."""
    cfg = config()
    if not applies(page.settings) or cfg.cap_usd is None:
        return None
    worst = (_worst_case(page.settings, prompt, cfg, turns) or 0.0) if reserve else 0.0
    return budget.Tab(page.store.spend, identity(page), budget.period(), worst)


def admit(page: Page, prompt: str = "", turns: list[Turn] | None = None) -> tuple[budget.Tab | None, str | None]:
    """Check again and reserve the worst case, just before a turn starts: (tab, None), or (None, why not)."""
    if blocked := refusal(page, prompt, turns):
        return None, blocked
    try:
        return open_tab(page, prompt, turns=turns), None
    except StoreError:
        return None, UNAVAILABLE


def sidebar_line(page: Page) -> str | None:
    """'Spent $x of today's $y' for this identity, when a cap applies to this session."""
    cap = config().cap_usd
    if cap is None or not applies(page.settings):
        return None
    try:
        return budget.budget_line(spent(page), cap)
    except StoreError:
        return None


def model_help(current: Settings) -> str | None:
    """What the Setup model picker says on the owner's key: which models it may use."""
    if not applies(current):
        return None
    return _md(
        f"On the app's key only these may be used: {budget.allowed_description(config(), COMMON_MODELS)}. "
        "Bring your own key for any other."
    )


def source_rows() -> list[dict[str, str]]:
    """The budget's rows of the Setup page's sources table."""
    return budget.describe_rows(config(), COMMON_MODELS)
