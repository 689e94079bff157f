"""Feedback in AppTest: thumbs under a chat answer, stored, changed in History, shown and filtered there."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from lib.store import HistoryStore, ResponseFilter, owner_for
from tests.app.conftest import APP_KEY
from tests.app.test_history_app import apply_filters, open_history, select_row, table_ids
from tests.fake_openai import FakeOpenAI, Text

OWNER = owner_for(None, APP_KEY)


def chat(at: AppTest, prompt: str) -> AppTest:
    return at.chat_input[0].set_value(prompt).run()


def stored(clean_env: Path) -> dict[str, tuple[int, str | None]]:
    store = HistoryStore(f"sqlite:///{clean_env / 'history.db'}")
    try:
        ids = [r["id"] for r in store.responses(ResponseFilter(owner=OWNER))]
        return {rid: (f["rating"], f["comment"]) for rid in ids if (f := store.feedback.get(OWNER, rid))}
    finally:
        store.close()


def rate_filter(at: AppTest, label: str | None) -> AppTest:
    box = next(s for s in at.selectbox if s.label == "Rating")
    box.set_value({"Rated good": "good", "Rated bad": "bad", "Unrated": "unrated", None: None}[label])
    return apply_filters(at)


def test_thumbs_in_chat_are_stored_then_changed_and_filtered_in_history(
    app, configured: FakeOpenAI, clean_env: Path
) -> None:
    configured.queue(Text("A fine answer."), Text("A poor answer."))
    at = chat(chat(app().run(), "First?"), "Second?")
    assert not at.exception
    assert len(at.feedback) == 2  # one under each answer
    first_id, second_id = (
        r["id"]
        for r in reversed(HistoryStore(f"sqlite:///{clean_env / 'history.db'}").responses(ResponseFilter(owner=OWNER)))
    )
    at.feedback[0].set_value(1).run()
    assert stored(clean_env) == {first_id: (1, None)}
    assert "Rated good" in [c.value for c in at.caption]
    at.text_input(key=f"feedback_chat_{first_id}_comment").set_value("exactly right").run()
    assert stored(clean_env) == {first_id: (1, "exactly right")}

    at = open_history(lambda: at)
    charts = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    titles = {str(c.get("title", "")) for c in charts}
    assert {"Rated good, per day", "Rated good, per model"} <= titles
    frame = at.dataframe[0].value
    assert dict(zip(frame["ID"], frame["Rating"], strict=True)) == {second_id: "", first_id: "👍"}
    at = rate_filter(at, "Rated good")
    assert table_ids(at) == [first_id]
    at = rate_filter(at, "Unrated")
    assert table_ids(at) == [second_id]

    # Rated bad in the History detail: the filter and the column follow.
    at = select_row(at, 0)
    assert len(at.feedback) == 1 and at.feedback[0].value is None
    at.feedback[0].set_value(0).run()
    assert stored(clean_env) == {first_id: (1, "exactly right"), second_id: (0, None)}
    at = rate_filter(at, "Rated bad")
    assert table_ids(at) == [second_id]
    assert list(at.dataframe[0].value["Rating"]) == ["👎"]
    assert not at.exception


def test_history_detail_starts_from_the_stored_rating_and_clears_it(
    app, configured: FakeOpenAI, clean_env: Path
) -> None:
    at = chat(app().run(), "Rate me")
    rid = HistoryStore(f"sqlite:///{clean_env / 'history.db'}").responses(ResponseFilter(owner=OWNER))[0]["id"]
    at.feedback[0].set_value(0).run()
    fresh = select_row(open_history(app), 0)  # a new session reads the rating from the store
    assert fresh.feedback[0].value == 0
    fresh.feedback[0].set_value(None).run()
    assert stored(clean_env) == {}
    assert fresh.dataframe[0].value["ID"][0] == rid and fresh.dataframe[0].value["Rating"][0] == ""


def test_no_thumbs_for_a_visitor_whose_history_is_not_kept(app, shared_env: FakeOpenAI, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_PROVIDER", "compatible")  # a key-less server: the visitor is nobody in particular
    shared_env.queue(Text("Not kept."))
    at = chat(app().run(), "Hello")
    assert at.chat_message[1].markdown[0].value == "Not kept."
    assert len(at.feedback) == 0
    at = at.run()
    assert len(at.chat_message) == 2 and len(at.feedback) == 0
