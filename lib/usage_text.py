"""PURE: the tokens, cost and times of a turn or a recorded response as one short line (chat, History, terminal)."""

from __future__ import annotations

from lib.stream import Usage


def dollars(cost_usd: float) -> str:
    """A cost as the app shows it; one answer often costs a fraction of a cent, so show enough digits to see it."""
    return f"${cost_usd:,.4f}" if cost_usd >= 0.01 else f"${cost_usd:.6f}"


def usage_line(usage: Usage | None, cost_usd: float | None, latency_ms: int | None, ttft_ms: int | None = None) -> str:
    """Tokens in and out, cost, time taken and time to first token, each part only when known."""
    parts = []
    if usage is not None:
        parts.append(f"{usage.input_tokens:,} in ({usage.cached_tokens:,} cached)")
        parts.append(f"{usage.output_tokens:,} out ({usage.reasoning_tokens:,} reasoning)")
    if cost_usd is not None:
        parts.append(dollars(cost_usd))
    if latency_ms is not None:
        parts.append(f"{latency_ms / 1000:.1f} s")
    if ttft_ms is not None:
        parts.append(f"first token after {ttft_ms / 1000:.1f} s")
    return " · ".join(parts)
