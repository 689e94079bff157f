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


def cost_usd(model: str | None, usage: Any, *, service_tier: str | None = None,
             at: datetime | None = None) -> float | None:
    """Return the cost of one response, or None when the model or usage is unknown."""
    if not model or usage is None:
        return None
    try:
        # Imported here: genai_prices and its price table take ~0.4 s to load (measured), paid
        # once the first priced response arrives rather than at app start.
        from genai_prices import extract_usage

        # The package's own Responses-usage mapping (cached reads, cache writes, reasoning) stays
        # in step with its prices, so the token fields are not re-mapped by hand here.
        extracted = extract_usage({"model": model, "usage": _as_dict(usage)},
                                  provider_id="openai", api_flavor="responses")
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
