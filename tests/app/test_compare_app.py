"""The Compare page in AppTest: columns asked at once, their own threads, Continue in chat, Save as profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from lib import budget
from lib.pricing import cost_usd
from lib.store import HistoryStore, ResponseFilter, owner_for
from lib.store.schema import profiles
from lib.usage_text import dollars
from tests.app.conftest import APP_KEY
from tests.fake_openai import FakeOpenAI, Text
from tests.security.attack import OWNER_KEY, PASSWORD, enter_password, owner_app

OWNER = owner_for(None, APP_KEY)
USAGE_FIVE = {
    "input_tokens": 12,
    "input_tokens_details": {"cached_tokens": 4},
    "output_tokens": 30,
    "output_tokens_details": {"reasoning_tokens": 20},
    "total_tokens": 42,
}
USAGE_FOUR = {
    "input_tokens": 9,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 7,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 16,
}


def open_compare(at: AppTest) -> AppTest:
    at.switch_page("app_pages/compare.py")
    return at.run()


def pick_models(at: AppTest, *models: str) -> AppTest:
    for index, model in enumerate(models):
        at.selectbox(key=f"compare_w_model_{index}").set_value(model)
    return at


def ask(at: AppTest, prompt: str) -> AppTest:
    at.chat_input(key="compare_input").set_value(prompt)
    return at.run()


def slot(at: AppTest, index: int):  # noqa: ANN201 - an AppTest block
    """Column `index` of the comparison (the first two st.columns are the page's top row)."""
    return at.columns[2 + index]


def store_of(clean_env: Path) -> HistoryStore:
    return HistoryStore(f"sqlite:///{clean_env / 'history.db'}")


def first_round(app, fake: FakeOpenAI) -> AppTest:  # noqa: ANN001
    fake.queue_for("gpt-5", Text("Five says hello.", usage=USAGE_FIVE))
    fake.queue_for("gpt-4.1", Text("Four says hi.", usage=USAGE_FOUR))
    at = pick_models(open_compare(app().run()), "gpt-5", "gpt-4.1")
    return ask(at, "Say hello")


def test_two_columns_send_one_request_each_and_show_both_answers_with_tokens(app, configured: FakeOpenAI) -> None:
    at = first_round(app, configured)
    assert not at.exception
    bodies = configured.response_requests()
    assert sorted(b["model"] for b in bodies) == ["gpt-4.1", "gpt-5"]
    assert all(b["input"] == [{"role": "user", "content": "Say hello"}] for b in bodies)
    conversations = {b["model"]: b["conversation"] for b in bodies}
    assert len(set(conversations.values())) == 2  # each column its own thread
    five, four = slot(at, 0), slot(at, 1)
    assert [m.name for m in five.chat_message] == ["user", "assistant"]
    assert five.chat_message[1].markdown[0].value == "Five says hello."
    assert four.chat_message[1].markdown[0].value == "Four says hi."
    five_cost = cost_usd("gpt-5", USAGE_FIVE)
    assert (
        five.chat_message[1]
        .caption[0]
        .value.startswith(f"12 in (4 cached) · 30 out (20 reasoning) · {dollars(five_cost)} · ")
    )
    assert four.chat_message[1].caption[0].value.startswith("9 in (0 cached) · 7 out (0 reasoning) · ")
    timings = [c.value for c in five.caption if c.value.startswith("first token ")]
    assert timings and " · total " in timings[0]


def test_overrides_are_sent_only_when_set(app, configured: FakeOpenAI) -> None:
    at = pick_models(open_compare(app().run()), "gpt-5", "gpt-4.1")
    at.selectbox(key="compare_w_verbosity_0").set_value("low")
    at.selectbox(key="compare_w_service_tier_0").set_value("flex")
    at.selectbox(key="compare_w_reasoning_effort_0").set_value("minimal")
    at.number_input(key="compare_w_temperature_1").set_value(0.3)
    at.text_area(key="compare_w_instructions_1").set_value("Answer in French.")
    at = ask(at, "Bonjour")
    assert not at.exception
    by_model = {b["model"]: b for b in configured.response_requests()}
    five, four = by_model["gpt-5"], by_model["gpt-4.1"]
    assert five["text"] == {"verbosity": "low"} and five["service_tier"] == "flex"
    assert five["reasoning"] == {"effort": "minimal"}
    assert "text" not in four and "service_tier" not in four
    assert four["temperature"] == 0.3 and four["instructions"] == "Answer in French."


def test_a_follow_up_continues_each_columns_own_conversation(app, configured: FakeOpenAI) -> None:
    at = first_round(app, configured)
    first = {b["model"]: b["conversation"] for b in configured.response_requests()}
    at = ask(at, "And again")
    assert not at.exception
    second = configured.response_requests()[2:]
    assert {b["model"]: b["conversation"] for b in second} == first
    assert all(b["input"] == [{"role": "user", "content": "And again"}] for b in second)
    assert [m.name for m in slot(at, 1).chat_message] == ["user", "assistant"] * 2


@pytest.mark.parametrize("fake_openai", [{"conversations": False}], indirect=True)
def test_without_conversations_each_column_chains_its_own_previous_response(
    app, configured: FakeOpenAI, clean_env: Path
) -> None:
    at = first_round(app, configured)
    store = store_of(clean_env)
    first = {r["model"]: r["id"] for r in store.responses(ResponseFilter(owner=OWNER))}
    at = ask(at, "And again")
    assert not at.exception
    second = configured.response_requests()[-2:]
    assert {b["model"]: b["previous_response_id"] for b in second} == first
    store.close()


def test_every_compare_response_is_tagged_and_history_filters_on_it(app, configured: FakeOpenAI, clean_env) -> None:
    at = first_round(app, configured)
    at.switch_page("app_pages/chat.py").run()
    at.chat_input[0].set_value("A plain chat").run()
    store = store_of(clean_env)
    rows = store.responses(ResponseFilter(owner=OWNER))
    assert sorted((r["model"], r["tag"]) for r in rows) == [
        ("gpt-4.1", "compare"),
        ("gpt-5", "compare"),
        ("gpt-5-mini", None),
    ]
    tagged = store.responses(ResponseFilter(owner=OWNER, tag="compare"))
    store.close()
    at.switch_page("app_pages/history.py").run()
    assert len(at.dataframe[0].value) == 3
    at.selectbox(key="history_w_tag").set_value("compare")
    at = next(b for b in at.button if b.label == "Apply").click().run()
    frame = at.dataframe[0].value
    assert sorted(frame["ID"]) == sorted(r["id"] for r in tagged)
    assert set(frame["Tag"]) == {"compare"} and sorted(frame["Model"]) == ["gpt-4.1", "gpt-5"]


def test_continue_in_chat_opens_the_columns_conversation(app, configured: FakeOpenAI) -> None:
    at = first_round(app, configured)
    conversation = next(b["conversation"] for b in configured.response_requests() if b["model"] == "gpt-4.1")
    at = at.button(key="compare_continue_1").click().run()
    assert not at.exception
    assert at.query_params["conversation"] == conversation
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    assert at.chat_message[1].markdown[0].value == "Four says hi."
    at.switch_page("app_pages/chat.py")  # AppTest's next run goes to the page it last named, not the one switched to
    at.chat_input[0].set_value("Go on in the chat").run()
    last = configured.response_requests()[-1]
    assert last["conversation"] == conversation and last["model"] == "gpt-4.1"
    assert last["input"] == [{"role": "user", "content": "Go on in the chat"}]


def test_save_as_profile_keeps_the_columns_settings_without_secrets(app, configured: FakeOpenAI, clean_env) -> None:
    at = pick_models(open_compare(app().run()), "gpt-5", "gpt-4.1")
    at.selectbox(key="compare_w_verbosity_1").set_value("high")
    at = ask(at, "Say hello")
    at.text_input(key="compare_profile_name_1").set_value("assistant").run()  # a shipped profile's name
    at = at.button(key="compare_profile_save_1").click().run()
    assert "comes with the app" in at.error[0].value
    at.text_input(key="compare_profile_name_1").set_value("four-one").run()
    at = at.button(key="compare_profile_save_1").click().run()
    assert not at.exception and "Saved profile four-one" in at.success[0].value
    store = store_of(clean_env)
    with store.engine.connect() as conn:
        saved = conn.execute(select(profiles.c.owner, profiles.c.name, profiles.c.data)).all()
    store.close()
    assert [(owner, name) for owner, name, _ in saved] == [(OWNER, "four-one")]
    data = saved[0][2]
    assert data["model"] == "gpt-4.1" and data["options"]["verbosity"] == "high"
    assert APP_KEY not in str(data) and "api_key" not in data
    # The saved profile is offered in every column, and picks its settings.
    at = at.run()
    assert "four-one" in at.selectbox(key="compare_w_profile_0").options


def test_the_cap_counts_every_column_and_refuses_the_comparison(
    app, shared_env: FakeOpenAI, monkeypatch, clean_env
) -> None:
    worst = budget.worst_case_usd(
        "gpt-5-mini", budget.input_estimate("Say hello", None), budget.BudgetConfig(cap_usd=1.0)
    )
    assert worst
    # Room for one column's worst case, not for two: nothing may be sent.
    at = owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD, BUDGET_USD=f"{worst * 1.5:.6f}")
    at = open_compare(enter_password(at.run()))
    at = ask(at, "Say hello")
    assert not at.exception
    assert configured_requests(shared_env) == []
    warning = next(w.value for w in at.warning if w.value.startswith("Column 2: "))
    assert "could cost up to" in warning
    assert at.chat_input(key="compare_input").value == "Say hello"
    store = store_of(clean_env)
    assert store.spend.spent(owner_for(None, OWNER_KEY), budget.period()) == pytest.approx(0.0, abs=1e-9)
    store.close()


def configured_requests(fake: FakeOpenAI) -> list:
    return fake.response_requests()


def test_the_owners_key_refuses_a_column_model_it_may_not_use(app, shared_env: FakeOpenAI, monkeypatch) -> None:
    at = owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD, ALLOWED_MODELS="gpt-5-mini")
    at = open_compare(enter_password(at.run()))
    at.selectbox(key="compare_w_model_1").set_value("o3")  # typed: the box takes any name
    at = ask(at, "Say hello")
    assert not at.exception
    assert shared_env.response_requests() == []
    assert "may not be used on the app's key" in next(w.value for w in at.warning if w.value.startswith("Column 2: "))


def test_another_owners_profile_is_never_used(app, configured: FakeOpenAI, clean_env: Path) -> None:
    store = store_of(clean_env)
    store.profiles.save(
        owner_for(None, "sk-someone-else-0002"), "theirs", {"format": 1, "model": "o3", "instructions": "SECRET-THEIRS"}
    )
    store.close()
    at = open_compare(app().run())
    assert "theirs" not in at.selectbox(key="compare_w_profile_0").options
    at = ask(at, "Say hello")
    assert not at.exception
    bodies = configured.response_requests()
    assert all("SECRET-THEIRS" not in str(b) and b["model"] != "o3" for b in bodies)


def test_each_column_is_counted_against_the_cap(app, shared_env: FakeOpenAI, monkeypatch, clean_env) -> None:
    shared_env.queue(Text("One.", usage=USAGE_FIVE), Text("Two.", usage=USAGE_FOUR))
    at = owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD, BUDGET_USD="1")
    at = ask(open_compare(enter_password(at.run())), "Say hello")
    assert not at.exception
    assert len(shared_env.response_requests()) == 2
    store = store_of(clean_env)
    spent = store.spend.spent(owner_for(None, OWNER_KEY), budget.period())
    store.close()
    # Both reservations settled to what each column's answer really cost.
    assert spent == pytest.approx(cost_usd("gpt-5-mini", USAGE_FIVE) + cost_usd("gpt-5-mini", USAGE_FOUR))


def test_the_owners_key_offers_no_priority_tier(app, shared_env: FakeOpenAI, monkeypatch) -> None:
    at = owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD)
    at = open_compare(enter_password(at.run()))
    assert at.selectbox(key="compare_w_service_tier_0").options == ["auto", "default", "flex"]
