"""The context on the Chat page: the meter, the count before sending, compaction; against the double."""

from __future__ import annotations

from lib.store import HistoryStore, owner_for
from lib.usage_text import dollars
from tests.app.conftest import APP_KEY
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
    configured.queue(
        Text(
            "Counted.",
            usage={"input_tokens": 12_000, "input_tokens_details": {"cached_tokens": 3_000}, "output_tokens": 4_000},
        )
    )
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
    assert f"Next turn: ≈ 7 tokens, {dollars(max_cost_usd('gpt-5-mini', 7, 0))} before your message" in main_captions(
        at
    )
    configured.queue(Text("Counted well."))
    at = chat(at, "Count this")
    conversation = at.query_params["conversation"]
    # instructions 7 + "Count this" 3 + "Counted well." 4, over the conversation the next turn continues
    assert count_requests(configured)[1:] == [
        {"model": "gpt-5-mini", "instructions": "Answer briefly, in English.", "conversation": conversation}
    ]
    assert f"Next turn: ≈ 14 tokens, {dollars(max_cost_usd('gpt-5-mini', 14, 0))} before your message" in main_captions(
        at
    )
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


def compact_requests(fake: FakeOpenAI) -> list:
    return [r.body for r in fake.requests if r.method == "POST" and r.path == "/v1/responses/compact"]


def expander_labels(at) -> list[str]:
    return [e.label for e in at.main.expander]


Q1, Q2 = ("first question " * 6).strip(), ("second question " * 6).strip()  # 89, 95 characters: 23, 24 tokens
A1, A2 = ("first answer. " * 6).strip(), ("second answer. " * 6).strip()  # 83, 89 characters: 21, 23 tokens


def test_compact_moves_the_conversation_to_its_compacted_window(app, configured: FakeOpenAI, clean_env) -> None:
    configured.queue(Text(A1), Text(A2), Text("Third answer."))
    at = chat(chat(app().run(), Q1), Q2)
    old = at.query_params["conversation"]
    at.sidebar.button(key="context_compact").click().run()
    assert not at.exception
    (request,) = compact_requests(configured)
    assert request["model"] == "gpt-5-mini" and set(request) == {"model", "input"}
    assert [(i["role"], i["content"][0]["text"]) for i in request["input"]] == [
        ("user", Q1),
        ("assistant", A1),
        ("user", Q2),
        ("assistant", A2),
    ]
    # 23 + 21 + 24 + 23 = 91 tokens compacted into a tenth: 9
    assert "Compacted 2 turns into 9 tokens" in expander_labels(at)
    assert "9 of 400,000 tokens (0%) after compaction" in sidebar_captions(at)
    new = at.query_params["conversation"]
    assert new != old
    assert [(i["type"], i.get("role")) for i in configured.store.items(new)] == [
        ("message", "user"),
        ("message", "user"),
        ("compaction", None),
    ]
    history = HistoryStore(f"sqlite:///{clean_env / 'history.db'}")
    row = history.conversation(owner_for(None, APP_KEY), new)  # its link opens for this owner, and only them
    assert row is not None and row["metadata"] == {"compacted_from": old}
    assert row["title"] == history.conversation(owner_for(None, APP_KEY), old)["title"]
    assert history.conversation(owner_for(None, "sk-someone-else"), new) is None
    at = chat(at, "Go on")
    assert not at.exception
    assert configured.response_requests()[-1] == {
        "model": "gpt-5-mini",
        "input": [{"role": "user", "content": "Go on"}],
        "store": True,
        "stream": True,
        "conversation": new,
    }
    assert at.chat_message[-1].markdown[0].value == "Third answer."
    assert "Compacted 2 turns into 9 tokens" in expander_labels(at)  # the card stays where it was


def test_a_chain_sends_the_compacted_window_then_chains_on(app, clean_env, monkeypatch, fake_openai_factory) -> None:
    fake = fake_openai_factory(conversations=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    fake.queue(Text(A1), Text(A2), Text("Third."), Text("Fourth."))
    at = chat(chat(app().run(), Q1), Q2)
    last = at.query_params["response"]
    at.sidebar.button(key="context_compact").click().run()
    assert not at.exception
    assert compact_requests(fake) == [{"model": "gpt-5-mini", "previous_response_id": last}]
    assert "response" not in at.query_params  # nothing to reopen until the next answer
    at = chat(at, "Go on")
    sent = fake.response_requests()[-1]
    assert "previous_response_id" not in sent
    assert [i.get("type", "message") for i in sent["input"]] == ["message", "message", "compaction", "message"]
    assert sent["input"][0] == {"type": "message", "role": "user", "content": [{"type": "input_text", "text": Q1}]}
    assert sent["input"][-1] == {"role": "user", "content": "Go on"}
    assert set(sent["input"][2]) == {"type", "encrypted_content"} and sent["input"][2]["encrypted_content"]
    third = at.query_params["response"]
    at = chat(at, "And on")
    assert fake.response_requests()[-1]["previous_response_id"] == third
    assert fake.response_requests()[-1]["input"] == [{"role": "user", "content": "And on"}]


def test_past_the_threshold_the_server_compacts_and_the_card_shows(app, configured: FakeOpenAI, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_COMPACT_AT_PERCENT", "1")  # 1% of gpt-5-mini's 400,000 tokens: 4,000
    configured.queue(Text("Short."), Text("Still short."))
    at = chat(app().run(), "Hello")
    assert configured.response_requests()[-1]["context_management"] == [
        {"type": "compaction", "compact_threshold": 4_000}
    ]
    assert "Compacted the conversation here" not in expander_labels(at)
    at = chat(at, "word " * 3_300)  # 16,500 characters: 4,125 tokens
    assert not at.exception
    assert expander_labels(at).count("Compacted the conversation here") == 1
    assert at.chat_message[-1].markdown[0].value == "Still short."


def test_a_server_without_compact_says_so_once_and_keeps_the_chat(
    app, clean_env, monkeypatch, fake_openai_factory
) -> None:
    fake = fake_openai_factory(counts_tokens=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    fake.queue(Text("One."))
    at = chat(app().run(), "Hello")
    conversation = at.query_params["conversation"]
    at.sidebar.button(key="context_compact").click().run()
    assert not at.exception
    assert "This server cannot compact conversations." in [w.value for w in at.warning]
    assert at.query_params["conversation"] == conversation
    at.run()
    assert not [b for b in at.sidebar.button if b.key == "context_compact"]  # not offered again
    assert [m.name for m in at.chat_message] == ["user", "assistant"]


def test_a_reopened_compacted_chat_shows_the_card_and_offers_compact(app, configured: FakeOpenAI) -> None:
    configured.queue(Text(A1), Text(A2))
    at = chat(chat(app().run(), Q1), Q2)
    at.sidebar.button(key="context_compact").click().run()
    reopened = app(conversation=at.query_params["conversation"]).run()
    assert not reopened.exception
    assert [m.name for m in reopened.chat_message] == ["user", "assistant", "user", "assistant"]
    assert reopened.chat_message[-1].expander[0].label == "Compacted the conversation here"  # its size is not kept
    assert [b.key for b in reopened.sidebar.button if b.key == "context_compact"] == ["context_compact"]


def test_the_threshold_set_on_setup_goes_out_with_every_turn(app, configured: FakeOpenAI) -> None:
    at = app().run()
    at.switch_page("app_pages/setup.py").run()
    at.number_input(key="setup_compact_at").set_value(80).run()
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception and at.title[0].value == "Responses Studio"
    at.switch_page("app_pages/chat.py")  # AppTest would otherwise run Setup again, the page it was sent to
    configured.queue(Text("Noted."))
    at = chat(at, "Hello")
    assert configured.response_requests()[-1]["context_management"] == [
        {"type": "compaction", "compact_threshold": 320_000}
    ]  # 80% of gpt-5-mini's 400,000


def test_an_unknown_window_turns_the_threshold_off_and_says_so(app, configured: FakeOpenAI, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_MODEL", "my-deployment")
    monkeypatch.setenv("OPENAI_COMPACT_AT_PERCENT", "80")
    at = app().run()
    at.switch_page("app_pages/setup.py").run()
    assert "This model's context window is unknown, so automatic compaction stays off for it." in [
        c.value for c in at.caption
    ]
    at.switch_page("app_pages/chat.py").run()
    configured.queue(Text("Noted."))
    at = chat(at, "Hello")
    assert "context_management" not in configured.response_requests()[-1]


def test_a_servers_compaction_item_cannot_write_the_cards_label(app, configured: FakeOpenAI) -> None:
    from openai import OpenAI

    configured.queue(Text("One."))
    at = chat(app().run(), "Hello")
    conversation = at.query_params["conversation"]
    hostile = {
        "type": "compaction",
        "encrypted_content": "x",
        "label": "![t](https://evil.example/t.png)",
        "compacted_turns": "![t](https://evil.example/t.png)",
        "compacted_tokens": "[click](https://evil.example)",
    }
    OpenAI(api_key=APP_KEY, base_url=configured.base_url).conversations.items.create(conversation, items=[hostile])
    reopened = app(conversation=conversation).run()
    assert not reopened.exception
    assert reopened.chat_message[-1].expander[0].label == "Compacted the conversation here"
    assert "evil.example" not in repr(reopened.main)
