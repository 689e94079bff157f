"""Long answers and faults: background resume after a drop, Stop, and what the history keeps."""

from __future__ import annotations

import time

from lib import chat
from lib.client import build_client
from lib.conversations import Thread
from lib.jobs import TurnJob
from lib.settings import Settings
from lib.store import HistoryStore, ResponseFilter
from lib.turn_records import record_turn
from lib.ui.state import TRANSCRIPT
from tests.app.actions import send_message
from tests.fake_openai import FakeOpenAI, Message, Reply, Text

LONG_TEXT = " ".join(f"word{number}" for number in range(91)) + "."  # 100 events with the lifecycle


def test_dropped_background_stream_resumes_without_duplicating_text(app, configured: FakeOpenAI, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_BACKGROUND", "true")
    configured.queue(Reply(Message(LONG_TEXT), delay=0.002, cut_after=40))
    at = app().run()
    send_message(at, "Write a lot")
    assert not at.exception
    answer = at.chat_message[1].markdown
    assert "".join(m.value for m in answer).replace("\n\n", " ") == LONG_TEXT
    (created,) = configured.response_requests()
    assert created["background"] is True
    resumes = [r for r in configured.requests if r.method == "GET" and r.query.get("stream") == "true"]
    assert [r.query.get("starting_after") for r in resumes] == ["39"]
    assert "pending" not in at.query_params


def slow_settings(fake: FakeOpenAI, background: bool) -> Settings:
    return Settings(api_key="sk-stop-test", base_url=fake.base_url, model="gpt-5-mini", background=background)


def run_and_stop(fake: FakeOpenAI, store: HistoryStore, background: bool) -> TurnJob:
    settings = slow_settings(fake, background)
    thread, control = Thread(), chat.TurnControl()
    updates = chat.run_turn(build_client(settings), settings, thread, "Count slowly", control=control)
    job = TurnJob(updates, control, lambda turn: record_turn(store, "key:test", turn, thread.conversation_id, None))
    deadline = time.monotonic() + 10
    while (job.turn is None or len(job.turn.text) < 20) and time.monotonic() < deadline:
        time.sleep(0.01)
    job.stop()
    assert job.wait(10)
    return job


def test_stop_cancels_a_background_response_and_keeps_the_partial_answer(fake_openai: FakeOpenAI, tmp_path) -> None:
    fake_openai.queue(Text(LONG_TEXT, delay=0.02))
    store = HistoryStore(f"sqlite:///{tmp_path / 'h.db'}")
    job = run_and_stop(fake_openai, store, background=True)
    turn = job.turn
    assert turn.status == "cancelled" and turn.error == chat.STOPPED
    assert 20 <= len(turn.text) < len(LONG_TEXT) and LONG_TEXT.startswith(turn.text)
    cancels = [r for r in fake_openai.requests if r.path.endswith("/cancel")]
    assert [r.path for r in cancels] == [f"/v1/responses/{turn.response_id}/cancel"]
    (row,) = store.responses(ResponseFilter(owner="key:test"))
    assert (row["id"], row["status"]) == (turn.response_id, "cancelled")
    assert LONG_TEXT.startswith(row["output_preview"])


def test_stop_closes_a_plain_stream(fake_openai: FakeOpenAI, tmp_path) -> None:
    fake_openai.queue(Text(LONG_TEXT, delay=0.02))
    store = HistoryStore(f"sqlite:///{tmp_path / 'h.db'}")
    job = run_and_stop(fake_openai, store, background=False)
    assert job.turn.status == "cancelled" and LONG_TEXT.startswith(job.turn.text)
    assert not [r for r in fake_openai.requests if r.path.endswith("/cancel")]
    (row,) = store.responses(ResponseFilter(owner="key:test"))
    assert row["status"] == "cancelled"


def test_a_reload_with_pending_after_the_answer_finished_shows_it_once(
    app, configured: FakeOpenAI, monkeypatch
) -> None:
    # The URL still says ?pending= (the tab closed before the page could drop it); the answer finished meanwhile.
    monkeypatch.setenv("OPENAI_BACKGROUND", "true")
    configured.queue(Reply(Message("The finished answer.")))
    first = app().run()
    send_message(first, "Answer in the background")
    conversation = first.query_params["conversation"]
    response_id = first.session_state[TRANSCRIPT][-1].response_id
    reloaded = app(conversation=conversation, pending=response_id).run()
    assert not reloaded.exception
    said = [" ".join(m.value for m in message.markdown) for message in reloaded.chat_message]
    assert said == ["Answer in the background", "The finished answer."]
    assert dict(reloaded.query_params) == {"conversation": conversation}
    streams = [r for r in configured.requests if r.method == "GET" and r.query.get("stream") == "true"]
    assert streams == []  # nothing is followed again


def test_a_reload_with_pending_while_the_answer_still_runs_resumes_it_once(
    app, configured: FakeOpenAI, monkeypatch
) -> None:
    # The counterpart of the test above: an answer the conversation does not hold yet is followed again.
    monkeypatch.setenv("OPENAI_BACKGROUND", "true")
    configured.queue(Reply(Message("First answer.")))
    first = app().run()
    send_message(first, "Hello")
    conversation = first.query_params["conversation"]
    # Another tab asked a second question and closed while the answer was being written.
    configured.queue(Text(LONG_TEXT, delay=0.04))  # ~4 s: still running when the reload looks
    client = build_client(Settings(api_key="sk-apptest-key-0001", base_url=configured.base_url))
    with client.responses.create(
        model="gpt-5-mini", input="Write a lot", conversation=conversation, background=True, stream=True
    ) as stream:
        response_id = next(iter(stream)).response.id
    reloaded = app(conversation=conversation, pending=response_id).run()
    assert not reloaded.exception
    said = [" ".join(m.value for m in message.markdown) for message in reloaded.chat_message]
    assert said[:2] == ["Hello", "First answer."]
    assert said[2] == "Write a lot"
    assert said[3].replace("\n\n", " ") == LONG_TEXT and len(said) == 4
    assert any(
        r.path == f"/v1/responses/{response_id}" and r.query.get("stream") == "true" for r in configured.requests
    )
