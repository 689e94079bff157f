"""Cost of one response from its usage, checked against genai-prices' own price data."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from genai_prices.data_snapshot import get_snapshot
from openai.types.responses import ResponseUsage

from lib.pricing import cost_usd

USAGE = {
    "input_tokens": 12_000,
    "input_tokens_details": {"cached_tokens": 4_000, "cache_write_tokens": 0},
    "output_tokens": 3_000,
    "output_tokens_details": {"reasoning_tokens": 1_000},
    "total_tokens": 15_000,
}


def _prices(model: str, tier: str | None = None) -> dict[str, Decimal]:
    """Per-token prices from the package's own data for `model` (below any long-context tier)."""
    _, info = get_snapshot().find_provider_model(model, None, "openai", None)
    price = info.get_prices(datetime.now(tz=UTC), {"service_tier": tier} if tier else None)
    keys = ("input_mtok", "cache_read_mtok", "cache_write_mtok", "output_mtok")
    rates = {key: getattr(price, key, None) for key in keys}
    # Tiered prices carry a base rate that applies below the first tier's start.
    return {key: getattr(rate, "base", rate) / Decimal(1_000_000) for key, rate in rates.items() if rate is not None}


def _expected(model: str, usage: dict = USAGE, tier: str | None = None) -> float:
    per = _prices(model, tier)
    cached = usage["input_tokens_details"]["cached_tokens"]
    written = usage["input_tokens_details"]["cache_write_tokens"]
    # Cache reads and writes are part of input_tokens, billed at their own rates instead;
    # reasoning tokens are part of output_tokens and billed as output.
    fresh = usage["input_tokens"] - cached - written
    total = fresh * per["input_mtok"] + cached * per["cache_read_mtok"]
    total += written * per.get("cache_write_mtok", per["input_mtok"])
    return float(total + usage["output_tokens"] * per["output_mtok"])


@pytest.mark.parametrize("model", ["gpt-4.1-mini", "gpt-5-mini", "gpt-4.1-mini-2025-04-14"])
def test_cost_matches_the_price_table(model: str) -> None:
    cost = cost_usd(model, USAGE)
    assert cost is not None and cost > 0
    assert cost == pytest.approx(_expected(model), rel=1e-12)


def test_cache_writes_are_billed_at_their_own_rate() -> None:
    usage = {**USAGE, "input_tokens_details": {"cached_tokens": 4_000, "cache_write_tokens": 5_000}}
    assert "cache_write_mtok" in _prices("gpt-6-sol")
    assert cost_usd("gpt-6-sol", usage) == pytest.approx(_expected("gpt-6-sol", usage), rel=1e-12)
    assert cost_usd("gpt-6-sol", usage) != cost_usd("gpt-6-sol", USAGE)


def test_cached_tokens_are_cheaper_than_fresh_ones() -> None:
    no_cache = {**USAGE, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0}}
    assert cost_usd("gpt-4.1-mini", USAGE) < cost_usd("gpt-4.1-mini", no_cache)  # type: ignore[operator]


def test_sdk_usage_object_prices_like_its_dict() -> None:
    usage = ResponseUsage.model_validate(USAGE)
    assert cost_usd("gpt-4.1-mini", usage) == cost_usd("gpt-4.1-mini", USAGE)


def test_service_tier_selects_its_price_row() -> None:
    priority = cost_usd("gpt-4.1-mini", USAGE, service_tier="priority")
    assert priority == pytest.approx(_expected("gpt-4.1-mini", tier="priority"), rel=1e-12)
    assert priority > cost_usd("gpt-4.1-mini", USAGE)  # type: ignore[operator]


def test_missing_details_count_as_zero() -> None:
    bare = {"input_tokens": 1_000_000, "output_tokens": 0, "input_tokens_details": None}
    per_input = _prices("gpt-4.1-mini")["input_mtok"]
    assert cost_usd("gpt-4.1-mini", bare) == pytest.approx(float(1_000_000 * per_input), rel=1e-12)


@pytest.mark.parametrize("model", ["llama3.2:3b", "my-azure-deployment", "", None])
def test_unknown_model_has_no_cost(model: str | None) -> None:
    assert cost_usd(model, USAGE) is None


def test_no_usage_has_no_cost() -> None:
    assert cost_usd("gpt-4.1-mini", None) is None


def test_malformed_usage_has_no_cost_and_does_not_raise() -> None:
    assert cost_usd("gpt-4.1-mini", {"input_tokens": -5, "output_tokens": 1}) is None
    assert cost_usd("gpt-4.1-mini", 42) is None
