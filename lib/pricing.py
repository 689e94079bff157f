"""Cost in US dollars of one Responses API call, from its usage and genai-prices' price data."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)


def _as_dict(usage: Any) -> dict[str, Any]:
    """Return the usage as a plain dict, whether it came as a dict or an SDK (pydantic) object."""
    if isinstance(usage, Mapping):
        return dict(usage)
    if hasattr(usage, "model_dump"):
        return usage.model_dump()
    raise TypeError(f"unsupported usage type {type(usage).__name__}")


def cost_usd(
    model: str | None, usage: Any, *, service_tier: str | None = None, at: datetime | None = None
) -> float | None:
    """Return the cost of one response, or None when the model or usage is unknown.

    Cached input (`input_tokens_details.cached_tokens`), cache writes (`…cache_write_tokens`, at the
    model's cache-write price where genai-prices has one, else at the input price) and the service tier
    (genai-prices' per-tier price variants: e.g. flex half, priority about 1.75-2x for gpt-5 models;
    a tier without a variant, such as scale or ultrafast, is priced as default) all come from
    genai-prices' data: no factor of our own.
    """
    if not model or usage is None:
        return None
    try:
        # Imported here: genai_prices and its price table take ~0.4 s to load (measured), paid
        # once the first priced response arrives rather than at app start.
        from genai_prices import extract_usage

        # The package's own Responses-usage mapping (cached reads, cache writes, reasoning) stays
        # in step with its prices, so the token fields are not re-mapped by hand here.
        extracted = extract_usage(
            {"model": model, "usage": _as_dict(usage)}, provider_id="openai", api_flavor="responses"
        )
        # The response's service_tier (e.g. "priority") selects a different price row.
        context = {"service_tier": service_tier} if service_tier else None
        price = extracted.calc_price(genai_request_timestamp=at, price_context=context)
        return float(price.total_price)
    except LookupError:
        # Local servers and Azure deployment names are not in the price table: no cost, no error.
        return None
    except Exception:  # a price lookup must never break a chat turn or a history row
        log.warning("could not price usage for model %r", model, exc_info=True)
        return None


def _calc(model: str, **usage: int) -> float:
    """The price of `usage` for an OpenAI model; LookupError when the price data does not know it."""
    from genai_prices import Usage, calc_price

    return float(calc_price(Usage(**usage), model, provider_id="openai").total_price)


def is_priced(model: str | None) -> bool:
    """Whether genai-prices' bundled data (no network) has a price for this OpenAI model name."""
    if not model or not model.strip():
        return False
    try:
        _calc(model.strip(), input_tokens=0)
    except LookupError:
        return False
    return True


def max_cost_usd(model: str, input_tokens: int, output_tokens: int, service_tier: str | None = None) -> float | None:
    """What a request could cost at most: these input tokens plus this many output tokens; None if unpriced.

    The dearest of: the default tier and the one asked for, and all input written to the prompt cache
    or none (a model that bills cache writes charges them above plain input).
    """
    tokens = {"input_tokens": max(input_tokens, 0), "output_tokens": max(output_tokens, 0)}
    written = {**tokens, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": tokens["input_tokens"]}}
    costs = [
        cost_usd(model, usage, service_tier=tier)
        for usage in (tokens, written)
        for tier in dict.fromkeys((None, service_tier))
    ]
    known = [c for c in costs if c is not None]
    return max(known) if known else None


def tool_fees_usd(model: str | None, *, web_searches: int = 0, file_searches: int = 0) -> float:
    """Per-call fees of hosted tools, where genai-prices has them for the model.

    Its OpenAI rows price web search (`web_searches_kcount`) and file search (`storage_searches_kcount`,
    as "storage searches"); it has no code-interpreter (container) price for OpenAI, so those calls
    are not counted here: we do not make up a number the price data does not hold.
    """
    if not model or not (web_searches or file_searches):
        return 0.0
    try:
        return _calc(model, web_searches=web_searches, storage_searches=file_searches)
    except LookupError:
        return 0.0
