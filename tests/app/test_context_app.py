"""The context on the Chat page: the meter, the count before sending, compaction; against the double."""

from __future__ import annotations

from tests.fake_openai import FakeOpenAI, Text


def chat(at, prompt: str):
    at.chat_input[0].set_value(prompt).run()
    return at


def sidebar_captions(at) -> list[str]:
    return [c.value for c in at.sidebar.caption]


def test_no_meter_before_the_first_answer(app, configured: FakeOpenAI) -> None:
    at = app().run()
    assert not at.exception
    assert "Context" not in sidebar_captions(at)


def test_the_meter_shows_the_last_response_against_the_window(app, configured: FakeOpenAI) -> None:
    configured.queue(Text("Counted.", usage={"input_tokens": 12_000, "input_tokens_details": {"cached_tokens": 3_000},
                                             "output_tokens": 4_000}))
    at = chat(app().run(), "Count")
    assert not at.exception
    assert "16,000 of 400,000 tokens (4%) · 25% of the last input cached" in sidebar_captions(at)
    assert at.sidebar.get("progress")[0].value == 4  # percent, as st.progress shows it


def test_an_unknown_model_shows_the_count_without_a_bar(app, configured: FakeOpenAI, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_MODEL", "my-deployment")
    configured.queue(Text("Counted.", usage={"input_tokens": 700, "output_tokens": 50}))
    at = chat(app().run(), "Count")
    assert not at.exception
    assert "750 tokens · 0% of the last input cached" in sidebar_captions(at)
    assert not at.sidebar.get("progress")
