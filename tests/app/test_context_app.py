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


def count_requests(fake: FakeOpenAI) -> list:
    return [r.body for r in fake.requests if r.method == "POST" and r.path == "/v1/responses/input_tokens"]


def main_captions(at) -> list[str]:
    return [c.value for c in at.main.caption]


def test_the_next_turn_is_counted_by_the_api_once_per_state(app, configured: FakeOpenAI, monkeypatch) -> None:
    from lib.pricing import max_cost_usd

    monkeypatch.setenv("OPENAI_INSTRUCTIONS", "Answer briefly, in English.")  # 26 characters: 7 tokens
    at = app().run()
    assert count_requests(configured) == [{"model": "gpt-5-mini", "instructions": "Answer briefly, in English."}]
    assert f"Next turn: ≈ 7 tokens, ${max_cost_usd('gpt-5-mini', 7, 0):,.4f} before your message" in main_captions(at)
    configured.queue(Text("Counted well."))
    at = chat(at, "Count this")
    conversation = at.query_params["conversation"]
    # instructions 7 + "Count this" 3 + "Counted well." 4, over the conversation the next turn continues
    assert count_requests(configured)[1:] == [{"model": "gpt-5-mini", "instructions": "Answer briefly, in English.",
                                               "conversation": conversation}]
    assert f"Next turn: ≈ 14 tokens, ${max_cost_usd('gpt-5-mini', 14, 0):,.4f} before your message" in main_captions(at)
    at.run()
    at.run()
    assert len(count_requests(configured)) == 2  # reruns reuse the count


def test_a_server_without_the_endpoint_is_asked_once_and_shows_no_count(
    app, clean_env, monkeypatch, fake_openai_factory
) -> None:
    fake = fake_openai_factory(counts_tokens=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    monkeypatch.setenv("OPENAI_INSTRUCTIONS", "Be brief.")
    fake.queue(Text("Fine."))
    at = chat(app().run(), "Hello")
    at.run()
    assert not at.exception
    assert at.chat_message[1].markdown[0].value == "Fine."
    assert len(count_requests(fake)) == 1  # the 404 said it once for this endpoint
    assert not [c for c in main_captions(at) if c.startswith("Next turn")]
