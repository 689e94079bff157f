"""The context-window table and the meter's maths."""

from __future__ import annotations

from lib.context_meter import COMPACTION, Meter, compact_threshold, meter_for
from lib.context_window import window_for
from lib.items import Item
from lib.stream import Round, Turn, Usage


def test_known_models_and_their_snapshots_have_a_window() -> None:
    assert window_for("gpt-5-mini") == 400_000
    assert window_for("gpt-4.1-mini-2025-04-14") == 1_047_576
    assert window_for("GPT-4o") == 128_000
    assert window_for("openai/gpt-oss-120b") == 131_072
    assert window_for("gpt-5-chat-latest") == 128_000  # not gpt-5's


def test_unknown_models_have_none_rather_than_a_guess() -> None:
    assert window_for("my-azure-deployment") is None
    assert window_for("gpt-5.9") is None  # not gpt-5's window by prefix
    assert window_for("gpt-5-mini-custom") is None
    assert window_for("") is None and window_for(None) is None


def _turn(*usages: tuple[int, int, int]) -> Turn:
    turn = Turn(prompt="p", status="completed")
    for n, (input_tokens, cached, output_tokens) in enumerate(usages):
        turn.rounds.append(Round(f"resp_{n}", "completed", Usage(input_tokens, cached, output_tokens)))
    return turn


def test_the_meter_reads_the_last_response_of_the_last_turn() -> None:
    turns = [_turn((100, 0, 50)), _turn((900, 300, 10), (1_200, 600, 80))]
    meter = meter_for(turns, "gpt-5-mini")
    assert meter == Meter(held=1_280, cached=600, input_tokens=1_200, window=400_000)
    assert meter.fraction == 1_280 / 400_000
    assert meter.cached_share == 0.5
    assert meter.label == "1,280 of 400,000 tokens (0%) · 50% of the last input cached"


def test_an_unknown_model_shows_the_count_only() -> None:
    meter = meter_for([_turn((30_000, 0, 1_000))], "local-llama")
    assert meter is not None and meter.fraction is None
    assert meter.label == "31,000 tokens · 0% of the last input cached"


def test_a_full_window_reads_full_and_turns_without_usage_are_skipped() -> None:
    loaded = Turn(prompt="reloaded", status="completed")  # a reopened chat's turns carry no usage
    meter = meter_for([_turn((500_000, 0, 20_000)), loaded], "gpt-5")
    assert meter is not None and meter.fraction == 1.0 and meter.held == 520_000
    assert meter_for([loaded], "gpt-5") is None
    assert meter_for([], "gpt-5") is None


def test_after_compaction_the_meter_shows_the_compacted_size_until_the_next_answer() -> None:
    marker = Turn(
        prompt="",
        status="completed",
        items=[Item(id="cmp_1", type=COMPACTION, data={"type": COMPACTION, "compacted_tokens": 1_200})],
    )
    meter = meter_for([_turn((90_000, 0, 2_000)), marker], "gpt-5")
    assert meter == Meter(held=1_200, window=400_000, compacted=True)
    assert meter.label == "1,200 of 400,000 tokens (0%) after compaction"
    assert meter_for([marker, _turn((1_500, 0, 40))], "gpt-5") == Meter(1_540, 0, 1_500, 400_000)


def test_the_threshold_is_a_share_of_a_known_window() -> None:
    assert compact_threshold("gpt-5", 80) == 320_000
    assert compact_threshold("gpt-4.1-2025-04-14", 50) == 523_788
    assert compact_threshold("unknown", 80) is None
    assert compact_threshold("gpt-5", None) is None and compact_threshold("gpt-5", 0) is None
    assert compact_threshold("gpt-5", 100) is None


def test_a_compaction_added_under_the_last_answer_wins_over_that_answer_but_not_a_servers() -> None:
    turn = _turn((90_000, 0, 2_000))
    turn.items.append(Item(id="cmp_s", type=COMPACTION, data={"type": COMPACTION, "encrypted_content": "x"}))
    assert meter_for([turn], "gpt-5").held == 92_000  # made by the server mid-answer: the usage says the rest
    turn.items.append(Item(id="cmp_1", type=COMPACTION, data={"type": COMPACTION, "compacted_tokens": 900}))
    assert meter_for([turn], "gpt-5") == Meter(held=900, window=400_000, compacted=True)


def test_a_compaction_size_that_is_not_a_count_is_ignored() -> None:
    for size in ("1,200", True, -5, None, 3.5):
        turn = _turn((100, 0, 20))
        turn.items.append(Item(id="cmp", type=COMPACTION, data={"type": COMPACTION, "compacted_tokens": size}))
        assert meter_for([turn], "gpt-5").held == 120
