"""What an eval run may cost before it starts, and its rows counted against the spending cap as they run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx2
import openai
from openai import OpenAI

from lib import budget, pricing
from lib.graders import Grader
from lib.settings import Settings
from lib.store import StoreError
from lib.stream import Turn

if TYPE_CHECKING:
    from lib.eval_run import Target

CHARS_PER_TOKEN = 4  # the usual rule of thumb for English text
OUTPUT_GUESS = 400  # output tokens assumed per answer when no max_output_tokens bounds it
JUDGE_OUTPUT = 150  # a judge's {score, reasoning}
COUNT_SAMPLE = 10  # rows counted exactly per target; the rest scaled by their length


@dataclass(frozen=True)
class Estimate:
    """A run's expected cost; `label` says how it was found (counted or from characters), always shown with it."""

    usd: float | None
    input_tokens: int
    output_tokens: int
    counted: bool
    label: str


def _chars(settings: Settings, text: str) -> int:
    return len(settings.instructions) + len(text)


def _count(client: OpenAI, settings: Settings, text: str) -> int:
    """Exact input tokens from the input-token count endpoint (raises where the endpoint is missing)."""
    kwargs: dict[str, Any] = {"model": settings.model, "input": text}
    if settings.instructions:
        kwargs["instructions"] = settings.instructions
    return client.with_options(max_retries=0, timeout=15.0).responses.input_tokens.count(**kwargs).input_tokens


def estimate(
    client: Callable[[Settings], OpenAI], rows: list[dict[str, Any]], targets: list[Target], checks: list[Grader]
) -> Estimate:
    """Tokens and dollars of sending every row to every target, plus the judges' requests."""
    usd: float | None = 0.0
    total_in = total_out = 0
    counted = True
    for target in targets:
        s = target.settings
        chars = sum(_chars(s, r["input"]) for r in rows)
        sample = rows[:COUNT_SAMPLE]
        tokens_in: float
        try:
            exact = sum(_count(client(s), s, r["input"]) for r in sample)
            sampled = sum(_chars(s, r["input"]) for r in sample) or 1
            tokens_in = exact * chars / sampled
        except (openai.APIError, httpx2.HTTPError):
            counted = False
            tokens_in = chars / CHARS_PER_TOKEN + 4 * len(rows)  # a few tokens of message framing per row
        out = (s.max_output_tokens or OUTPUT_GUESS) * len(rows)
        usd = _add(usd, pricing.cost_usd(s.model, _usage(int(tokens_in), out)))
        total_in, total_out = total_in + int(tokens_in), total_out + out
        for grader in (g for g in checks if g.kind == "model"):
            judge_in = int(tokens_in) + out + len(rows) * (len(grader.rubric) // CHARS_PER_TOKEN + 80)
            judge_out = JUDGE_OUTPUT * len(rows)
            usd = _add(usd, pricing.cost_usd(grader.judge_model, _usage(judge_in, judge_out)))
            total_in, total_out = total_in + judge_in, total_out + judge_out
    how = "input counted by the API" if counted else "input estimated from characters (≈4 per token)"
    label = f"Estimate: {how}; output assumed {OUTPUT_GUESS} tokens per answer unless a limit is set."
    return Estimate(usd, total_in, total_out, counted, label)


def _usage(tokens_in: int, tokens_out: int) -> dict[str, Any]:
    return {
        "input_tokens": tokens_in,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": tokens_out,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": tokens_in + tokens_out,
    }


def _add(total: float | None, cost: float | None) -> float | None:
    return None if total is None or cost is None else total + cost


class Admission:
    """The spending cap on the owner's key, applied to each row of a run as to a chat turn (any thread)."""

    def __init__(self, spend: Any, identity: str, config: budget.BudgetConfig) -> None:
        self.spend, self.identity, self.config = spend, identity, config

    def refusal(self, settings: Settings, estimate_usd: float | None = None) -> str | None:
        """Why the run may not start: a model not allowed, the cap reached, or the estimate beyond what is left."""
        if blocked := budget.model_refusal(settings.model, self.config):
            return blocked
        try:
            used = self.spend.spent(self.identity, budget.period())
        except StoreError:
            return "The spending cap cannot be checked right now; try again shortly."
        return budget.cap_refusal(used, self.config.cap_usd, estimate_usd)

    def admit(self, settings: Settings, prompt: str) -> tuple[budget.Tab | None, str | None]:
        """Reserve one row's worst case: (tab, None), or (None, why the run must stop)."""
        worst = budget.worst_case_usd(settings.model, budget.input_estimate(prompt, None), self.config)
        if blocked := self.refusal(settings, worst):
            return None, blocked
        try:
            return budget.Tab(self.spend, self.identity, budget.period(), worst or 0.0), None
        except StoreError:
            return None, "The spending cap cannot be checked right now; try again shortly."

    def settle(self, tab: budget.Tab | None, turn: Turn) -> None:
        """Replace a row's reservation with its real cost."""
        budget.settle(tab, turn)

    def charge(self, usd: float) -> None:
        """Count a judge's request."""
        if usd:
            self.spend.add(self.identity, budget.period(), usd)
