"""PURE: how full the conversation's context is, from the last response's usage, and the compaction threshold."""

from __future__ import annotations

from dataclasses import dataclass

from lib.context_window import window_for
from lib.stream import Turn

COMPACTION = "compaction"  # the output item type the API's compaction produces


@dataclass(frozen=True)
class Meter:
    """Tokens the conversation holds now, against the model's window (None: unknown model)."""

    held: int
    cached: int = 0  # of the last response's input, read from the prompt cache
    input_tokens: int = 0
    window: int | None = None
    compacted: bool = False  # the count is the compacted state's, not a response's

    @property
    def fraction(self) -> float | None:
        """Share of the window in use, 0..1 (a count past the window reads as full); None without a window."""
        if not self.window:
            return None
        return min(self.held / self.window, 1.0)

    @property
    def cached_share(self) -> float:
        """Share of the last input that came from the prompt cache, 0..1."""
        return self.cached / self.input_tokens if self.input_tokens else 0.0

    @property
    def label(self) -> str:
        """One line: '12,345 of 400,000 tokens (3%) · 40% of the last input cached'."""
        held = f"{self.held:,} tokens" if self.window is None else f"{self.held:,} of {self.window:,} tokens"
        if self.fraction is not None:
            held += f" ({self.fraction:.0%})"
        if self.compacted:
            return f"{held} after compaction"
        return f"{held} · {self.cached_share:.0%} of the last input cached"


def compaction_tokens(turn: Turn) -> int | None:
    """The size of a compaction this turn holds, when the app made it (a reloaded one's size is unknown)."""
    for item in reversed(turn.items):
        tokens = item.data.get("compacted_tokens") if item.type == COMPACTION else None
        if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens >= 0:  # a server may send anything
            return tokens
    return None


def meter_for(turns: list[Turn], model: str | None) -> Meter | None:
    """The meter after the latest turn that says how much the context holds; None before any."""
    window = window_for(model)
    for turn in reversed(turns):
        if (tokens := compaction_tokens(turn)) is not None:  # Compact adds its card after the turn's answers
            return Meter(held=tokens, window=window, compacted=True)
        if turn.rounds:  # the last response of the turn holds the whole context: its input plus its answer
            usage = turn.rounds[-1].usage
            return Meter(
                held=usage.input_tokens + usage.output_tokens,
                cached=usage.cached_tokens,
                input_tokens=usage.input_tokens,
                window=window,
            )
    return None


def compact_threshold(model: str | None, percent: int | None) -> int | None:
    """The token count at which the server should compact: `percent` of the model's window; None if off or unknown."""
    window = window_for(model)
    if not window or not percent or not 0 < percent < 100:
        return None
    return window * percent // 100
