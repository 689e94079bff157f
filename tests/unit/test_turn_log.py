"""Structured turn logs through the double: one line per turn end, retry, resume, cancel and error, no content."""

from __future__ import annotations

import logging

import pytest

from lib import chat, turn_log
from lib.client import build_client
from lib.conversations import Thread
from lib.settings import Settings
from tests.fake_openai import Error, FakeOpenAI, Message, Reply, Text

KEY = "sk-turn-log-secret-4242"
OWNER = "user:alice@example.com"
PROMPT = "What is the launch codename?"
ANSWER = "The codename is BLUEHERON."
USAGE = {
    "input_tokens": 12,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 7,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 19,
}
HASH = turn_log.owner_hash(OWNER)


def run(fake: FakeOpenAI, *, background: bool = False, control: chat.TurnControl | None = None) -> chat.Turn:
    settings = Settings(api_key=KEY, base_url=fake.base_url, model="gpt-5-mini", background=background)
    control = control or chat.TurnControl(owner_hash=HASH)
    *_, turn = chat.run_turn(build_client(settings), settings, Thread(), PROMPT, control=control)
    return turn


def lines(caplog: pytest.LogCaptureFixture) -> list[dict]:
    """The fields of every turn-log record, in order."""
    return [r.turn_event for r in caplog.records if r.name == turn_log.LOGGER_NAME]


def assert_no_content(caplog: pytest.LogCaptureFixture) -> None:
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (KEY, PROMPT, ANSWER, "BLUEHERON", "alice@example.com", OWNER):
        assert secret not in text


@pytest.fixture(autouse=True)
def info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=turn_log.LOGGER_NAME)


def test_a_turn_ends_with_one_line_of_counts(fake_openai: FakeOpenAI, caplog) -> None:
    fake_openai.queue(Text(ANSWER, usage=USAGE))
    turn = run(fake_openai)
    (line,) = lines(caplog)
    assert line == {
        "event": "turn_end",
        "model": "gpt-5-mini",
        "status": "completed",
        "response_id": turn.response_id,
        "latency_ms": turn.latency_ms,
        "tokens_in": 12,
        "tokens_out": 7,
        "owner": HASH,
        "retries": 0,
    }
    assert isinstance(line["latency_ms"], int) and len(HASH) == 12
    (record,) = [r for r in caplog.records if r.name == turn_log.LOGGER_NAME]
    assert record.levelno == logging.INFO and record.getMessage().startswith('{"event":"turn_end",')
    assert_no_content(caplog)


def test_a_retry_then_the_end(fake_openai: FakeOpenAI, caplog) -> None:
    fake_openai.queue(
        Error(
            429,
            f"Rate limit reached for {PROMPT}",
            code="rate_limit_exceeded",
            type="requests",
            headers={"Retry-After": "0"},
        ),
        Text(ANSWER, usage=USAGE),
    )
    run(fake_openai)
    retry, end = lines(caplog)
    assert retry == {
        "event": "retry",
        "model": "gpt-5-mini",
        "status": "pending",
        "response_id": None,
        "latency_ms": None,
        "tokens_in": None,
        "tokens_out": None,
        "owner": HASH,
        "attempt": 1,
        "wait_s": 0.0,
        "error": "RateLimitError",
        "http_status": 429,
    }
    assert (end["event"], end["status"], end["retries"]) == ("turn_end", "completed", 1)
    assert_no_content(caplog)


def test_an_error_says_its_kind_not_its_message(fake_openai: FakeOpenAI, caplog) -> None:
    fake_openai.queue(Error(400, f"Your prompt {PROMPT!r} was refused", code="bad"))
    run(fake_openai)
    error, end = lines(caplog)
    assert {k: error[k] for k in ("event", "status", "owner", "error", "http_status")} == {
        "event": "error",
        "status": "failed",
        "owner": HASH,
        "error": "BadRequestError",
        "http_status": 400,
    }
    assert [r.levelno for r in caplog.records if r.name == turn_log.LOGGER_NAME] == [logging.WARNING, logging.INFO]
    assert (end["event"], end["status"]) == ("turn_end", "failed")
    assert_no_content(caplog)


def test_a_dropped_background_stream_logs_its_resume(fake_openai: FakeOpenAI, caplog) -> None:
    fake_openai.queue(Reply(Message(ANSWER), usage=USAGE, cut_after=5))
    turn = run(fake_openai, background=True)
    resume, end = lines(caplog)
    assert {k: resume[k] for k in ("event", "response_id", "owner", "reason", "attempt")} == {
        "event": "resume",
        "response_id": turn.response_id,
        "owner": HASH,
        "reason": "dropped",
        "attempt": 1,
    }
    assert (end["event"], end["status"], end["tokens_out"]) == ("turn_end", "completed", 7)
    assert_no_content(caplog)


def test_a_stop_logs_the_cancel(fake_openai: FakeOpenAI, caplog) -> None:
    fake_openai.queue(Text(ANSWER, usage=USAGE))
    control = chat.TurnControl(owner_hash=HASH)
    control.stop()  # before the request: the user pressed Stop at once
    run(fake_openai, control=control)
    cancel, end = lines(caplog)
    assert {k: cancel[k] for k in ("event", "status", "owner", "stopped_by", "cancel_on_server")} == {
        "event": "cancel",
        "status": "cancelled",
        "owner": HASH,
        "stopped_by": "user",
        "cancel_on_server": False,
    }
    assert (end["event"], end["status"]) == ("turn_end", "cancelled")


def test_log_level_sets_what_is_written(caplog) -> None:
    turn = chat.Turn(prompt=PROMPT, model="gpt-5-mini", status="completed")
    logging.getLogger(turn_log.LOGGER_NAME).setLevel(logging.NOTSET)  # the app's level decides, as in production
    try:
        turn_log.configure({"LOG_LEVEL": "warning"})
        turn_log.emit("turn_end", turn, HASH)
        turn_log.emit("error", turn, HASH, error="X")
        assert [line["event"] for line in lines(caplog)] == ["error"]
        turn_log.configure({"LOG_LEVEL": "nonsense"})
        assert logging.getLogger("responses_studio").level == logging.INFO
    finally:
        turn_log.configure({})
    assert logging.getLogger("responses_studio").level == logging.INFO
