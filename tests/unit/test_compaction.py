"""Compaction's pure parts: the request field, the window as input, and what a compaction replaced."""

from __future__ import annotations

from lib.compaction import as_input, context_management, turns_since_compaction
from lib.context_meter import COMPACTION
from lib.items import Item
from lib.settings import Settings
from lib.stream import Turn


def test_the_threshold_goes_out_only_where_the_provider_compacts_and_the_window_is_known() -> None:
    on = Settings(model="gpt-5", compact_at_percent=75)
    assert context_management(on) == [{"type": "compaction", "compact_threshold": 300_000}]
    assert context_management(Settings(provider="azure", model="gpt-4.1", compact_at_percent=50)) == [
        {"type": "compaction", "compact_threshold": 523_788}
    ]
    assert context_management(Settings(provider="compatible", model="gpt-5", compact_at_percent=75)) is None
    assert context_management(Settings(model="my-deployment", compact_at_percent=75)) is None
    assert context_management(Settings(model="gpt-5")) is None


def test_window_items_lose_what_only_output_carries() -> None:
    user = {
        "id": "msg_1",
        "type": "message",
        "role": "user",
        "status": "completed",
        "content": [{"type": "input_text", "text": "hi"}],
    }
    compaction = {"id": "cmp_1", "type": "compaction", "encrypted_content": "abc", "created_by": "server"}
    assert as_input(user) == {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    assert as_input(compaction) == {"type": "compaction", "encrypted_content": "abc"}


def test_a_compaction_replaces_the_turns_since_the_last_one() -> None:
    turns = [Turn(prompt=str(n)) for n in range(5)]
    assert turns_since_compaction(turns) == 5
    turns[1].items.append(Item(id="c", type=COMPACTION))
    assert turns_since_compaction(turns) == 3
