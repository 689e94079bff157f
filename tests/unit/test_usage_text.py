"""One usage line for the chat, History and the terminal: tokens, cost and times, each only when known."""

from __future__ import annotations

from lib.stream import Usage
from lib.usage_text import dollars, usage_line


def test_a_full_line_names_tokens_cost_and_times() -> None:
    usage = Usage(input_tokens=12_345, cached_tokens=4_000, output_tokens=1_030, reasoning_tokens=20)
    assert usage_line(usage, 0.5, 2_340, 610) == (
        "12,345 in (4,000 cached) · 1,030 out (20 reasoning) · $0.5000 · 2.3 s · first token after 0.6 s"
    )


def test_what_is_unknown_is_left_out() -> None:
    assert usage_line(None, None, None) == ""
    assert usage_line(None, None, 1_500) == "1.5 s"
    assert usage_line(Usage(), None, None) == "0 in (0 cached) · 0 out (0 reasoning)"


def test_a_cost_under_a_cent_still_shows_its_digits() -> None:
    assert dollars(0.000123) == "$0.000123"
    assert dollars(0.01) == "$0.0100"
    assert dollars(1234.5) == "$1,234.5000"
