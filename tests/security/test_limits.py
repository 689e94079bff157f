"""One visitor's endpoint must not exhaust the process: deadlines, a byte cap, idle streams, closed tabs.

The endpoint here is a hostile double whose answer never ends (`Endless`); each test gives the turn short
limits, so nothing sleeps long, and checks what the user keeps and that the socket was let go.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from lib import chat, limits
from lib.client import build_client
from lib.conversations import Thread
from lib.jobs import TurnJob
from lib.limits import TurnControl, TurnLimits
from lib.settings import Settings
from lib.store import HistoryStore, ResponseFilter
from lib.stream import Turn
from lib.turn_records import record_turn
from tests.app.actions import send_message
from tests.fake_openai import Endless, FakeOpenAI, FunctionCall, Reply
from tests.security.attack import alerts

FAST = TurnLimits(deadline_s=60, background_deadline_s=60, idle_s=60, max_bytes=10_000_000, session_grace_s=0)


def start_job(
    fake: FakeOpenAI,
    turn_limits: TurnLimits,
    *,
    background: bool = False,
    alive: Any = None,
    store: HistoryStore | None = None,
) -> TurnJob:
    """A turn against the double, as the chat page starts one (worker and watchdog threads)."""
    settings = Settings(api_key="sk-limits", base_url=fake.base_url, model="gpt-5-mini", background=background)
    thread, control = Thread(), TurnControl(turn_limits)
    updates = chat.run_turn(build_client(settings), settings, thread, "Go on for ever", control=control)

    def record(turn: Turn) -> None:
        if store is not None:
            record_turn(store, "key:test", turn, thread.conversation_id, None)

    return TurnJob(updates, control, record, alive=alive)


def ended(job: TurnJob, within: float = 5.0) -> Turn:
    assert job.wait(within), "the turn was still running"
    assert job.turn is not None
    return job.turn


def hung_up(fake: FakeOpenAI, within: float = 3.0) -> list[str]:
    """Paths of answers the client hung up on (the double notices at its next write)."""
    stop = time.monotonic() + within
    while not fake.closed_streams and time.monotonic() < stop:
        time.sleep(0.01)
    return [r.path for r in fake.closed_streams]


def test_an_endless_stream_ends_at_the_deadline_keeping_what_arrived(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Endless(delta="more ", delay=0.01))
    job = start_job(fake_openai, TurnLimits(deadline_s=2.0, idle_s=60, session_grace_s=0))
    turn = ended(job)
    assert turn.status == "incomplete"
    assert turn.error == limits.deadline_passed(2.0).message
    assert turn.text.startswith("more more ") and set(turn.text.split()) == {"more"}
    assert hung_up(fake_openai) == ["/v1/responses"]


def test_a_background_answer_past_its_deadline_is_cancelled_on_the_server(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Endless(delta="more ", delay=0.01))
    job = start_job(fake_openai, TurnLimits(background_deadline_s=2.0, session_grace_s=0), background=True)
    turn = ended(job)
    assert turn.status == "incomplete" and turn.error == limits.deadline_passed(2.0).message
    assert turn.text.startswith("more ")
    cancels = [r.path for r in fake_openai.requests if r.path.endswith("/cancel")]
    assert cancels == [f"/v1/responses/{turn.response_id}/cancel"]


def test_a_silent_stream_is_closed_after_the_idle_timeout(fake_openai: FakeOpenAI) -> None:
    # Only keep-alive comments: the SDK yields no event, the read never returns by itself.
    fake_openai.queue(Endless(silent=True, delay=0.02))
    job = start_job(fake_openai, TurnLimits(deadline_s=60, idle_s=0.5, session_grace_s=0))
    turn = ended(job)
    assert turn.status == "interrupted" and turn.error == limits.idle_for(0.5).message
    assert hung_up(fake_openai) == ["/v1/responses"]


def test_a_stream_past_the_byte_cap_is_ended_with_the_partial_answer_kept(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Endless(delta="x" * 1000, delay=0.0))
    job = start_job(fake_openai, TurnLimits(deadline_s=60, idle_s=60, max_bytes=50_000, session_grace_s=0))
    turn = ended(job)
    assert turn.status == "incomplete" and turn.error == limits.too_large(50_000).message
    # The event that passed the cap is kept, nothing after it.
    assert turn.text == "x" * 51_000
    assert hung_up(fake_openai) == ["/v1/responses"]


def test_the_byte_cap_counts_function_arguments_too(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Reply(FunctionCall("get_weather", {"city": "Paris " * 5000})))
    job = start_job(fake_openai, TurnLimits(max_bytes=10_000, session_grace_s=0))
    turn = ended(job)
    assert turn.status == "incomplete" and turn.error == limits.too_large(10_000).message
    (call,) = [i for i in turn.items if i.type == "function_call"]
    assert 10_000 < len(call.streamed("arguments")) <= 10_008  # 8-character pieces, as the API sends JSON
    assert len(fake_openai.response_requests()) == 1  # the cut call is not run, nothing more is sent


def test_a_worker_whose_session_is_gone_stops_and_lets_the_socket_go(fake_openai: FakeOpenAI, tmp_path) -> None:
    fake_openai.queue(Endless(delta="more ", delay=0.01))
    page_open = threading.Event()
    page_open.set()
    store = HistoryStore(f"sqlite:///{tmp_path / 'h.db'}")
    job = start_job(fake_openai, FAST, alive=page_open.is_set, store=store)
    stop = time.monotonic() + 5
    while (job.turn is None or len(job.turn.text) < 20) and time.monotonic() < stop:
        time.sleep(0.01)
    assert not job.done
    page_open.clear()  # the tab is closed
    turn = ended(job, within=3)
    assert turn.status == "interrupted" and turn.error == limits.session_gone(False).message
    assert hung_up(fake_openai) == ["/v1/responses"]
    (row,) = store.responses(ResponseFilter(owner="key:test"))  # still in the history
    assert row["status"] == "incomplete" and row["error"] == limits.session_gone(False).message


def test_a_background_answer_of_a_closed_tab_goes_on_on_the_server(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Endless(delta="more ", delay=0.01))
    page_open = threading.Event()
    page_open.set()
    job = start_job(fake_openai, FAST, background=True, alive=page_open.is_set)
    stop = time.monotonic() + 5
    while (job.turn is None or len(job.turn.text) < 20) and time.monotonic() < stop:
        time.sleep(0.01)
    page_open.clear()
    turn = ended(job, within=3)
    assert turn.error == limits.session_gone(True).message and turn.status == "in_progress"
    assert hung_up(fake_openai) == ["/v1/responses"]  # this process let go of the stream...
    assert not [r for r in fake_openai.requests if r.path.endswith("/cancel")]  # ...and the answer goes on
    fake_openai.store.runs.cancel_all()


def test_a_short_drop_of_the_session_within_the_grace_does_not_stop_the_turn(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Endless(delta="more ", delay=0.01))
    page_open = threading.Event()
    job = start_job(fake_openai, TurnLimits(deadline_s=2.0, session_grace_s=30), alive=page_open.is_set)
    turn = ended(job)
    assert turn.error == limits.deadline_passed(2.0).message  # the deadline ended it, not the drop


@pytest.mark.parametrize("name, value", [("TURN_DEADLINE_S", "0"), ("MAX_TURN_BYTES", "lots")])
def test_limits_from_the_environment_keep_defaults_for_bad_values(name: str, value: str) -> None:
    assert TurnLimits.from_env({name: value}) == TurnLimits()


def test_limits_come_from_the_deployment_not_the_session() -> None:
    environ = {
        "TURN_DEADLINE_S": "90",
        "BACKGROUND_TURN_DEADLINE_S": "120",
        "TURN_IDLE_S": "30",
        "MAX_TURN_BYTES": "1000",
        "SESSION_GRACE_S": "0",
    }
    assert TurnLimits.from_env(environ) == TurnLimits(90, 120, 30, 1000, 0)


def test_the_chat_page_says_why_an_answer_was_cut_at_the_byte_cap(app, configured: FakeOpenAI, monkeypatch) -> None:
    monkeypatch.setenv("MAX_TURN_BYTES", "20000")
    configured.queue(Endless(delta="y" * 1000, delay=0.0))
    at = app().run()
    send_message(at, "Write for ever")
    assert not at.exception
    assert limits.too_large(20_000).message in alerts(at)
    answer = "".join(m.value for m in at.chat_message[1].markdown)
    assert answer.count("y") == 21_000
