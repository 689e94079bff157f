"""The History page in AppTest: a seeded store, and responses and conversations made through the double."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from lib.store import HistoryStore, ResponseFilter, ResponseRecord, owner_for
from lib.store.schema import responses
from lib.ui import history_view
from tests.app.actions import button, click, send_message
from tests.app.conftest import APP_KEY
from tests.fake_openai import FakeOpenAI, Text

OWNER = owner_for(None, APP_KEY)
OTHER = owner_for(None, "sk-someone-else-0002")
START = datetime(2026, 3, 1, 12, tzinfo=UTC)


def store_of(clean_env: Path) -> HistoryStore:
    return HistoryStore(f"sqlite:///{clean_env / 'history.db'}")


def seed(clean_env: Path, count: int, owner: str = OWNER, prefix: str = "resp_mine") -> list[str]:
    """`count` responses, one hour apart, alternating two models; ids newest last."""
    store = store_of(clean_env)
    ids = []
    for n in range(count):
        ids.append(f"{prefix}_{n:03d}")
        store.record_response(
            ResponseRecord(
                id=ids[-1],
                owner=owner,
                model=("gpt-5-mini", "o4-mini")[n % 2],
                status="completed",
                created_at=START + timedelta(hours=n),
                conversation_id=f"conv_{prefix}_{n % 3}",
                input_tokens=100 + n,
                output_tokens=10 + n,
                cost_usd=0.001 * (count - n),
                latency_ms=1000 + n,
                tools=("web_search_call",) if n % 4 == 0 else (),
                input_preview=f'Question {n}, "quoted"',
                output_preview=f"Answer {n}\nsecond line",
            )
        )
    store.close()
    return ids


def open_history(app) -> AppTest:  # noqa: ANN001 - the conftest factory
    at = app()
    at.switch_page("app_pages/history.py")
    return at.run()


def table_ids(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value["ID"])


def select_row(at: AppTest, row: int) -> AppTest:
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


def apply_filters(at: AppTest, **values: Any) -> AppTest:
    labels = {"models": "Models", "statuses": "Status", "text": "Text", "conversation": "Conversation ID"}
    for name, value in values.items():
        widget = next(w for w in [*at.multiselect, *at.text_input] if w.label == labels[name])
        widget.set_value(value)
    return click(at, "Apply")


def test_no_key_sends_the_user_to_setup(app, clean_env: Path) -> None:
    at = open_history(app)
    assert not at.exception
    assert at.title[0].value == "Setup" and "Add your OpenAI API key" in at.info[0].value


def test_the_table_shows_only_this_owners_rows(app, configured: FakeOpenAI, clean_env: Path) -> None:
    mine = seed(clean_env, 3)
    seed(clean_env, 2, owner=OTHER, prefix="resp_theirs")
    at = open_history(app)
    assert not at.exception
    assert table_ids(at) == mine[::-1]  # newest first
    frame = at.dataframe[0].value
    assert list(frame["Status"]) == ["● completed"] * 3
    assert frame["Conversation"][0] == "/chat?conversation=conv_resp_mine_2"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Responses"] == "3" and metrics["Input tokens"] == "303" and metrics["Cost"] == "$0.006000"
    assert any(c.value == "Responses 1–3 of 3" for c in at.caption)
    assert next(m for m in at.multiselect if m.label == "Models").options == ["gpt-5-mini", "o4-mini"]


def test_filter_by_model_and_text_narrows_the_table(app, configured: FakeOpenAI, clean_env: Path) -> None:
    ids = seed(clean_env, 6)
    seed(clean_env, 4, owner=OTHER, prefix="resp_theirs")
    at = apply_filters(open_history(app), models=["o4-mini"])
    assert not at.exception
    assert table_ids(at) == [ids[5], ids[3], ids[1]]
    assert set(at.dataframe[0].value["Model"]) == {"o4-mini"}
    assert {m.label: m.value for m in at.metric}["Responses"] == "3"
    at = apply_filters(at, text="Question 3")
    assert table_ids(at) == [ids[3]]
    at = click(at, "Reset")
    assert len(table_ids(at)) == 6


def test_dates_are_whole_utc_days_with_the_last_day_included() -> None:
    applied = history_view.FILTER_DEFAULTS | {"dates": (date(2026, 3, 1), date(2026, 3, 2)), "text": "  hi "}
    f = history_view.build_filter(OWNER, applied)
    assert (f.since, f.until) == (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC))
    assert (f.text, f.conversation_id, f.tool, f.models) == ("hi", None, None, ())
    one_day = history_view.build_filter(OWNER, applied | {"dates": (date(2026, 3, 1),)})  # the picker half done
    assert (one_day.since, one_day.until) == (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))
    assert history_view.build_filter(OWNER, history_view.FILTER_DEFAULTS) == ResponseFilter(owner=OWNER)


def test_paging_and_sorting_happen_in_the_database(app, configured: FakeOpenAI, clean_env: Path) -> None:
    ids = seed(clean_env, 30)
    at = open_history(app)
    assert table_ids(at) == ids[::-1][:25] and any(c.value == "Responses 1–25 of 30" for c in at.caption)
    at = click(at, "Next")
    assert table_ids(at) == ids[::-1][25:] and any(c.value == "Responses 26–30 of 30" for c in at.caption)
    assert button(at, "Next").disabled
    next(s for s in at.selectbox if s.label == "Sort by").set_value("cost_usd").run()
    assert any(c.value == "Responses 1–25 of 30" for c in at.caption)  # a new order starts at its first page
    assert table_ids(at)[0] == ids[0]  # the costliest first
    next(s for s in at.selectbox if s.label == "Rows per page").set_value(50).run()
    assert len(table_ids(at)) == 30


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The callables behind the download buttons drawn, by file extension."""
    found: dict[str, Any] = {}
    original = MediaFileManager.add_deferred

    def keep(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):  # noqa: ANN001, ANN202
        found[Path(file_name or "").suffix] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    return found


def test_export_holds_exactly_the_filtered_rows(app, configured: FakeOpenAI, clean_env: Path, downloads) -> None:
    ids = seed(clean_env, 8)
    seed(clean_env, 3, owner=OTHER, prefix="resp_theirs")
    at = apply_filters(open_history(app), models=["gpt-5-mini"])
    assert not at.exception
    expected = [ids[6], ids[4], ids[2], ids[0]]
    rows = list(csv.DictReader(io.StringIO(downloads[".csv"]().decode())))
    assert [r["id"] for r in rows] == expected == table_ids(at)
    assert rows[0]["input_preview"] == 'Question 6, "quoted"' and rows[0]["output_preview"] == "Answer 6\nsecond line"
    assert rows[0]["tools"] == "" and rows[-1]["tools"] == "web_search_call"
    data = json.loads(downloads[".json"]())
    assert [r["id"] for r in data] == expected and data[0]["created_at"] == "2026-03-01T18:00:00+00:00"
    for raw in (downloads[".csv"](), downloads[".json"]()):
        assert b"resp_theirs" not in raw and APP_KEY.encode() not in raw and OWNER.encode() not in raw


def chat_then_history(app, fake: FakeOpenAI, answer: str) -> tuple[AppTest, str]:  # noqa: ANN001
    """One chat turn on the double, then the History page in the same session."""
    fake.queue(Text(answer))
    at = app().run()
    send_message(at, "What is the answer?")
    conversation = at.query_params["conversation"]
    at.switch_page("app_pages/history.py")
    return at.run(), conversation


def test_detail_shows_the_output_and_delete_removes_it_here_and_on_the_api(
    app, configured: FakeOpenAI, clean_env: Path
) -> None:
    at, conversation = chat_then_history(app, configured, "The answer is **42**.")
    (response_id,) = table_ids(at)
    at = select_row(at, 0)
    assert not at.exception
    assert at.subheader[0].value == f"Response `{response_id}`"
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    assert at.chat_message[0].markdown[0].value == "What is the answer?"
    assert at.chat_message[1].markdown[0].value == "The answer is **42**."
    paths = [r.path for r in configured.requests if r.method == "GET"]
    assert f"/v1/responses/{response_id}" in paths and f"/v1/responses/{response_id}/input_items" in paths
    link = next(p for p in at.get("page_link") if p.proto.label == "Open conversation in chat")
    # The chat is the default page: the app root, and f"conversation={conversation}" in link.proto.query_string.
    assert link.proto.page == ""

    at = click(at, "Delete")
    assert "from this history and from the API" in at.warning[0].value
    assert store_of(clean_env).response(OWNER, response_id) is not None  # nothing deleted before the confirm
    at = click(at, "Yes, delete")
    assert not at.exception
    assert at.success[0].value == f"Deleted response {response_id} here and on the API."
    assert store_of(clean_env).response(OWNER, response_id) is None
    assert configured.store.response(response_id) is None
    assert any(r.method == "DELETE" and r.path == f"/v1/responses/{response_id}" for r in configured.requests)
    assert not at.dataframe and "Nothing recorded yet" in at.info[0].value


def test_a_response_not_on_the_api_shows_the_local_row(app, configured: FakeOpenAI, clean_env: Path) -> None:
    (response_id,) = seed(clean_env, 1)
    at = select_row(open_history(app), 0)
    assert "not stored on the API" in at.info[0].value
    assert at.chat_message[1].markdown[0].value == "Answer 0\nsecond line"
    at = button(click(at, "Delete"), "Yes, delete").click().run()
    assert at.success[0].value == f"Deleted response {response_id}."
    assert store_of(clean_env).response(OWNER, response_id) is None
    assert not any(r.method == "DELETE" for r in configured.requests)  # the API had said it has none


def open_conversations(at: AppTest) -> AppTest:
    at.session_state["history_tab"] = "Conversations"
    return at.run()


def test_rename_saves_the_title_here_and_in_the_api_metadata(app, configured: FakeOpenAI, clean_env: Path) -> None:
    at, conversation = chat_then_history(app, configured, "Hello.")
    at = select_row(open_conversations(at), 0)
    assert not at.exception
    assert at.dataframe[0].value["Title"][0] == "What is the answer?"
    next(t for t in at.text_input if t.label == "Title").set_value("Meaning of life")
    at = click(at, "Rename")
    assert not at.exception
    assert at.success[0].value == "Renamed to “Meaning of life”."
    assert store_of(clean_env).conversation(OWNER, conversation)["title"] == "Meaning of life"
    update = [r for r in configured.requests if r.method == "POST" and r.path == f"/v1/conversations/{conversation}"]
    assert update[-1].body == {"metadata": {"title": "Meaning of life"}}
    assert configured.store.conversation(conversation)["metadata"] == {"title": "Meaning of life"}
    assert at.dataframe[0].value["Title"][0] == "Meaning of life"


def test_close_then_delete_a_conversation(app, configured: FakeOpenAI, clean_env: Path) -> None:
    at, conversation = chat_then_history(app, configured, "Hello.")
    at = select_row(open_conversations(at), 0)
    at = click(at, "Close")
    assert store_of(clean_env).conversation(OWNER, conversation)["status"] == "closed"
    at = select_row(at, 0)
    assert at.dataframe[0].value["Status"][0] == "● closed" and button(at, "Reopen")
    at = click(at, "Delete")
    assert "with its 1 recorded response?" in at.warning[0].value
    at = click(at, "Yes, delete")
    assert not at.exception
    assert store_of(clean_env).conversation(OWNER, conversation) is None
    assert store_of(clean_env).count_responses(ResponseFilter(owner=OWNER)) == 0
    assert configured.store.conversation(conversation) is None
    assert any(r.method == "DELETE" and r.path == f"/v1/conversations/{conversation}" for r in configured.requests)
    assert "No conversations yet." in at.info[0].value


def test_api_errors_leave_the_local_row_in_place(app, clean_env: Path, monkeypatch, fake_openai_factory) -> None:
    refusing = fake_openai_factory(api_keys={"sk-only-this-key"})
    monkeypatch.setenv("OPENAI_API_KEY", APP_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", refusing.base_url)
    (response_id,) = seed(clean_env, 1)
    at = select_row(open_history(app), 0)
    assert not at.exception
    assert at.warning[0].value.startswith("Could not fetch it from the API: The API key was refused (401)")
    assert at.chat_message[1].markdown[0].value == "Answer 0\nsecond line"  # the local record instead
    at = button(click(at, "Delete"), "Yes, delete").click().run()
    assert at.error[0].value.startswith("Not deleted. The API key was refused (401)")
    assert store_of(clean_env).response(OWNER, response_id) is not None
    assert any(r.method == "DELETE" and r.path == f"/v1/responses/{response_id}" for r in refusing.requests)


def test_a_conversation_gone_from_the_api_is_renamed_and_deleted_here(
    app, configured: FakeOpenAI, clean_env: Path
) -> None:
    at, conversation = chat_then_history(app, configured, "Hello.")
    configured.store.delete_conversation(conversation)  # expired or deleted elsewhere
    at = select_row(open_conversations(at), 0)
    next(t for t in at.text_input if t.label == "Title").set_value("Kept locally")
    at = click(at, "Rename")
    assert at.info[0].value == "Renamed here; the conversation is no longer on the API."
    assert store_of(clean_env).conversation(OWNER, conversation)["title"] == "Kept locally"
    at = button(button(select_row(at, 0), "Delete").click().run(), "Yes, delete").click().run()
    assert at.success[0].value == f"Deleted conversation {conversation}."
    assert store_of(clean_env).conversation(OWNER, conversation) is None


def test_totals_count_every_row_and_latency_the_newest_thousand(app, configured: FakeOpenAI, clean_env: Path) -> None:
    store = store_of(clean_env)
    with store.engine.begin() as conn:  # bulk: the rollup triggers sum these as record_response's rows
        conn.execute(
            insert(responses),
            [
                {
                    "id": f"resp_bulk_{n:04d}",
                    "conversation_id": None,
                    "previous_response_id": None,
                    "owner": OWNER,
                    "model": "gpt-5-mini",
                    "status": "completed",
                    "input_tokens": n,
                    "cached_tokens": 0,
                    "output_tokens": 1,
                    "reasoning_tokens": 0,
                    "cost_usd": None,
                    "latency_ms": 1000 + n,
                    "ttft_ms": None,
                    "tools": [],
                    "input_preview": "",
                    "output_preview": "",
                    "error": None,
                    "created_at": START + timedelta(minutes=n),
                }
                for n in range(1003)
            ],
        )
    store.close()
    at = open_history(app)
    assert not at.exception
    metrics = {m.label: m for m in at.metric}
    assert metrics["Responses"].value == "1,003" and metrics["Input tokens"].value == f"{sum(range(1003)):,}"
    # The newest 1,000 latencies are 1,003..2,002 ms: their median (the 501st) is 1,503 ms.
    assert metrics["Median latency"].value == "1.5 s"
    assert metrics["Median latency"].proto.help == "Over the newest 1,000 responses with a latency"
    assert any(c.value == "Responses 1–25 of 1,003" for c in at.caption)
