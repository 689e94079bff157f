"""The spending cap on the owner's key: who is capped, per what period, which models, how much a turn may cost.

Pure rules, no Streamlit: lib/ui/budget.py reads the session and the store and calls these.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lib import pricing
from lib.store.records import StoreError
from lib.stream import Turn

DEFAULT_MAX_OUTPUT_TOKENS = 4096
CHARS_PER_TOKEN = 4  # a rough, generous-to-the-cap reading of text as tokens (English averages ~4)
# Names read from secrets, then the environment; SESSION_BUDGET_USD is the old name of BUDGET_USD.
CAP_NAMES = ("BUDGET_USD", "SESSION_BUDGET_USD")
# Hosted-tool calls genai-prices has a per-call price for (see pricing.tool_fees_usd); code
# interpreter has none there, so it is not counted.
WEB_SEARCH, FILE_SEARCH = "web_search_call", "file_search_call"


@dataclass(frozen=True)
class BudgetConfig:
    """The owner's limits on their own key, from secrets then the environment."""

    cap_usd: float | None = None  # per identity per UTC day; None: no cap
    allowed_models: tuple[str, ...] = ()  # lower-case names; empty: any model with a known price
    max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)


def parse_budget(raw: Any, name: str = "BUDGET_USD") -> float | None:
    """A cap in dollars; blank means no cap."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = float(str(raw).strip().lstrip("$"))
    except ValueError:
        raise ValueError(f"{name} must be a number of dollars, like 0.50, not {raw!r}") from None
    if value < 0 or value != value or value == float("inf"):
        raise ValueError(f"{name} must be zero or more, not {raw!r}")
    return value


def parse_models(raw: Any) -> tuple[str, ...]:
    """ALLOWED_MODELS: names separated by commas (or a list in secrets); blank: the priced ones."""
    if raw is None:
        return ()
    names = raw.replace(";", ",").split(",") if isinstance(raw, str) else list(raw)
    return tuple(dict.fromkeys(str(n).strip().lower() for n in names if str(n).strip()))


def parse_max_output(raw: Any) -> int:
    """MAX_OUTPUT_TOKENS: a whole number of at least 16 (the API's minimum)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return DEFAULT_MAX_OUTPUT_TOKENS
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValueError(f"MAX_OUTPUT_TOKENS must be a whole number of tokens, like 4096, not {raw!r}") from None
    if value < 16:
        raise ValueError(f"MAX_OUTPUT_TOKENS must be at least 16, not {raw!r}")
    return value


def budget_config(secrets: Mapping[str, Any], environ: Mapping[str, str]) -> BudgetConfig:
    """The cap, allowed models and output bound from the first layer that has each."""
    found: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for setting, names in (("cap", CAP_NAMES), ("models", ("ALLOWED_MODELS",)), ("max", ("MAX_OUTPUT_TOKENS",))):
        for label, layer in (("secrets", secrets), ("environment", environ)):
            # Within a layer the new name wins; an older layer's new name does not beat a newer layer's old one.
            hit = next(((n, layer[n]) for n in names if layer.get(n) is not None and str(layer[n]).strip()), None)
            if hit:
                found[setting] = hit
                sources[setting] = f"{label} ({hit[0]})" if hit[0] != names[0] else label
                break
    cap_name, cap_raw = found.get("cap", ("BUDGET_USD", None))
    return BudgetConfig(
        cap_usd=parse_budget(cap_raw, cap_name),
        allowed_models=parse_models(found.get("models", (None, None))[1]),
        max_output_tokens=parse_max_output(found.get("max", (None, None))[1]),
        sources=sources,
    )


def period(now: datetime | None = None) -> str:
    """The budget period a moment falls in: its UTC day."""
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d")


def identity(owner: str, *, shared_login: bool, peer_ip: str | None) -> str:
    """Whom the cap counts against.

    Signed in: the person (their owner id). Behind one app password everyone is one owner by design,
    so the visitor's address tells them apart when it is known (hashed: no address is stored).
    """
    if shared_login or not peer_ip:
        return owner
    return "ip:" + hashlib.sha256(peer_ip.encode()).hexdigest()[:16]


def model_allowed(model: str, config: BudgetConfig) -> bool:
    """May this model run on the owner's key? With a cap set it must also have a known price."""
    name = (model or "").strip().lower()
    if config.allowed_models and name not in config.allowed_models:
        return False
    if config.allowed_models and config.cap_usd is None:
        return True  # the owner named it and set no cap: nothing needs its price
    return pricing.is_priced(name)


def allowed_description(config: BudgetConfig, examples: tuple[str, ...] = ()) -> str:
    """The allowed models, in words, for messages and the Setup page."""
    if config.allowed_models:
        named = [m for m in config.allowed_models if config.cap_usd is None or pricing.is_priced(m)]
        return ", ".join(named) if named else "none (no listed model has a known price)"
    priced = [m for m in examples if pricing.is_priced(m)]
    return "models with a known price" + (f", such as {', '.join(priced)}" if priced else "")


def model_refusal(model: str, config: BudgetConfig, examples: tuple[str, ...] = ()) -> str | None:
    """The message that stops a turn on a model the owner does not allow on their key, else None."""
    if model_allowed(model, config):
        return None
    return (
        f"The model {model!r} may not be used on the app's key. Allowed: "
        f"{allowed_description(config, examples)}. Pick one on Setup, or add your own key there."
    )


def input_estimate(prompt: str, previous: Turn | None) -> int:
    """Input tokens of the next request: the last request's input and answer come back, plus the prompt."""
    carried = 0
    if previous is not None and previous.usage is not None:
        carried = previous.usage.input_tokens + previous.usage.output_tokens
    return carried + len(prompt) // CHARS_PER_TOKEN + 1


def worst_case_usd(
    model: str, input_tokens: int, config: BudgetConfig, service_tier: str | None = None
) -> float | None:
    """The most one request can cost: its input plus max_output_tokens at the model's price (at the dearer of
    the default tier and the one asked for, e.g. priority); None if unpriced."""
    return pricing.max_cost_usd(model, input_tokens, config.max_output_tokens, service_tier)


def left_usd(spent_usd: float, cap_usd: float | None) -> float | None:
    """Dollars left of the cap (never below zero); None when there is no cap."""
    return None if cap_usd is None else max(cap_usd - spent_usd, 0.0)


def cap_refusal(spent_usd: float, cap_usd: float | None, worst_usd: float | None = None) -> str | None:
    """The message that stops a turn: the cap is reached, or this turn could go past it; else None."""
    left = left_usd(spent_usd, cap_usd)
    if left is None:
        return None
    if left <= 1e-9:  # float sums of many small costs land a hair off
        return (
            f"You have used ${spent_usd:,.4f} of today's ${cap_usd:,.2f} budget on the app's key, so new "
            "messages are paused until 00:00 UTC. Your chat is kept. To go on now, add your own key on Setup."
        )
    if worst_usd is not None and worst_usd > left:
        return (
            f"This message could cost up to ${worst_usd:,.4f} on this model, more than the ${left:,.4f} left "
            f"of today's ${cap_usd:,.2f} budget on the app's key. Pick a cheaper model or start a new chat "
            "(a long chat sends more each turn), or add your own key on Setup."
        )
    return None


def tool_fees_usd(turn: Turn) -> float:
    """Per-call fees of the hosted tools the turn used, where the price data has them."""
    web = sum(1 for i in turn.items if i.type == WEB_SEARCH)
    files = sum(1 for i in turn.items if i.type == FILE_SEARCH)
    return pricing.tool_fees_usd(turn.model, web_searches=web, file_searches=files)


def charge_usd(turn: Turn, reserved_usd: float) -> float:
    """What a finished turn counts against the cap.

    Tokens at the model's price plus hosted-tool fees. A turn that reached the model but whose usage
    never arrived (cut, stopped, worker ended) keeps its reserved worst case: unknown is not free.
    """
    if turn.cost_usd is not None:
        return turn.cost_usd + tool_fees_usd(turn)
    if not turn.response_id:
        return tool_fees_usd(turn)  # refused before the model wrote anything
    return max(reserved_usd, tool_fees_usd(turn))


def budget_line(spent_usd: float, cap_usd: float | None) -> str | None:
    """'Spent $x of today's $y' for the sidebar, when a cap applies (markdown-escaped dollars)."""
    if cap_usd is None:
        return None
    return f"Spent \\${spent_usd:,.4f} of today's \\${cap_usd:,.2f} on the app's key (resets 00:00 UTC)."


def describe_rows(config: BudgetConfig, examples: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """Rows for the Setup page's sources table."""
    cap = config.cap_usd
    rows = [
        ("Spending cap per person per day (UTC)", f"${cap:,.2f}" if cap is not None else "none", "cap"),
        ("Models on the app's key", allowed_description(config, examples), "models"),
        ("Max output tokens per request on the app's key", str(config.max_output_tokens), "max"),
    ]
    return [
        {"Setting": name, "Value": value, "From": config.sources.get(key) or "default"} for name, value, key in rows
    ]


class Tab:
    """One turn's account: its worst case is reserved when it starts, settled to its real cost when it ends.

    Reserving first means two tabs (or replicas) starting at once cannot both spend the last dollar;
    settling from the turn's worker means New chat, a closed tab or a rerun cannot skip the count.
    """

    def __init__(self, spend: Any, identity: str, period: str, reserved_usd: float = 0.0) -> None:
        self._spend, self.identity, self.period = spend, identity, period
        self.reserved_usd = reserved_usd
        if reserved_usd:
            spend.add(identity, period, reserved_usd)

    def settle(self, turn: Turn) -> float:
        """Replace the reservation with what the turn counts; return that charge."""
        charge = charge_usd(turn, self.reserved_usd)
        if charge != self.reserved_usd:
            self._spend.add(self.identity, self.period, charge - self.reserved_usd)
        return charge


def settle(tab: Tab | None, turn: Turn) -> str | None:
    """Count a finished turn (from its worker thread); a note for the page if the count was not saved."""
    if tab is None:
        return None
    try:
        tab.settle(turn)
    except StoreError as error:
        return f"This turn's cost was not counted against the budget: {error}"
    return None
