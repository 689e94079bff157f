"""The turn's last resorts, through the double: polling when every resumed stream drops too."""

from __future__ import annotations

from lib import chat, turn_wire
from lib.client import build_client
from lib.conversations import Thread
from lib.settings import Settings
from tests.fake_openai import FakeOpenAI, Message, Reply

LONG_TEXT = " ".join(f"word{number}" for number in range(60)) + "."


def test_when_every_resumed_stream_drops_the_answer_is_polled_to_its_end(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Reply(Message(LONG_TEXT), delay=0.01, cut_after=8, resume_cut_after=0))
    settings = Settings(api_key="sk-poll-test", base_url=fake_openai.base_url, model="gpt-5-mini", background=True)
    *_, turn = chat.run_turn(build_client(settings), settings, Thread(), "Write a lot")
    assert (turn.status, turn.error, turn.notice) == ("completed", None, None)
    assert turn.text == LONG_TEXT
    gets = [r for r in fake_openai.requests if r.method == "GET" and r.path == f"/v1/responses/{turn.response_id}"]
    resumes = [r for r in gets if r.query.get("stream") == "true"]
    polls = [r for r in gets if r.query.get("stream") != "true"]
    assert len(resumes) == turn_wire.RESUMES  # each picked up again, and each dropped at once
    assert polls, "the background response is polled once streaming has failed for good"
