"""Cost with cached input, cache writes and the service tier, against OpenAI's published per-million prices."""

from __future__ import annotations

import pytest

from lib import budget
from lib.pricing import cost_usd, max_cost_usd
from lib.stream import Usage

# gpt-5-mini per million tokens (openai.com/api/pricing): input, cached input, output.
STANDARD = (0.25, 0.025, 2.00)
FLEX = (0.125, 0.0125, 1.00)  # flex processing: half
PRIORITY = (0.45, 0.045, 3.60)


def usage(input_tokens: int, cached: int, output: int, written: int = 0) -> dict:
    return {
        "input_tokens": input_tokens,
        "output_tokens": output,
        "total_tokens": input_tokens + output,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": written},
        "output_tokens_details": {"reasoning_tokens": 0},
    }


@pytest.mark.parametrize(
    ("tier", "prices"), [(None, STANDARD), ("default", STANDARD), ("flex", FLEX), ("priority", PRIORITY)]
)
def test_cached_input_and_the_tier_change_the_price(tier, prices) -> None:
    plain, cached, output = prices
    expected = (800_000 * plain + 200_000 * cached + 100_000 * output) / 1e6
    assert cost_usd("gpt-5-mini", usage(1_000_000, 200_000, 100_000), service_tier=tier) == pytest.approx(expected)


def test_a_tier_without_its_own_prices_is_priced_as_default() -> None:
    assert cost_usd("gpt-5-mini", usage(1000, 0, 10), service_tier="ultrafast") == cost_usd(
        "gpt-5-mini", usage(1000, 0, 10)
    )


def test_cache_writes_cost_more_where_the_model_bills_them() -> None:
    # gpt-5.6-luna in genai-prices: input $0.20, cache write $0.25, cache read $0.02, output $1.20 per million.
    assert cost_usd("gpt-5.6-luna", usage(1000, 100, 100, written=400)) == pytest.approx(
        (500 * 0.20 + 400 * 0.25 + 100 * 0.02 + 100 * 1.20) / 1e6
    )
    # gpt-5-mini has no cache-write price: written input costs what plain input costs.
    assert cost_usd("gpt-5-mini", usage(1000, 0, 0, written=1000)) == cost_usd("gpt-5-mini", usage(1000, 0, 0))


def test_cache_writes_are_read_from_openai_usage_and_from_compatible_servers_extras() -> None:
    openai_usage = Usage()
    openai_usage.add(usage(1000, 100, 10, written=300))
    extra = Usage()  # an OpenAI-compatible proxy in front of Anthropic models
    extra.add(
        {
            "input_tokens": 1000,
            "output_tokens": 10,
            "input_tokens_details": {"cached_tokens": 100},
            "cache_creation_input_tokens": 300,
        }
    )
    nested = Usage()
    nested.add(
        {
            "input_tokens": 1000,
            "output_tokens": 10,
            "input_tokens_details": {"cached_tokens": 100, "cache_creation_input_tokens": 300},
        }
    )
    assert openai_usage.cache_write_tokens == extra.cache_write_tokens == nested.cache_write_tokens == 300
    assert extra.as_api()["input_tokens_details"] == {"cached_tokens": 100, "cache_write_tokens": 300}
    assert cost_usd("gpt-5.6-luna", extra.as_api()) == cost_usd("gpt-5.6-luna", usage(1000, 100, 10, written=300))


def test_the_worst_case_reserves_the_dearer_tier_and_cache_writes() -> None:
    config = budget.BudgetConfig(max_output_tokens=1000)
    default = budget.worst_case_usd("gpt-5-mini", 1_000_000, config)
    assert default == pytest.approx(1_000_000 * 0.25 / 1e6 + 1000 * 2.0 / 1e6)
    assert budget.worst_case_usd("gpt-5-mini", 1_000_000, config, "priority") == pytest.approx(
        1_000_000 * 0.45 / 1e6 + 1000 * 3.6 / 1e6
    )
    assert budget.worst_case_usd("gpt-5-mini", 1_000_000, config, "flex") == default  # flex never costs more
    assert max_cost_usd("gpt-5.6-luna", 100_000, 0) == pytest.approx(0.025)  # every input token written
    assert max_cost_usd("no-such-model", 10, 10) is None
