"""A prompt that arrives as an answer ends is sent after it; one that arrives while it runs waits in the input."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lib.ui import state
from tests.app.actions import send_message
from tests.fake_openai import FakeOpenAI, Text

SLOW = Text("A slow answer, word by word, to the end.", deltas=10, delay=0.4)


def cut_short(at: AppTest, prompt: str) -> None:
    """Send a prompt, and end the run that follows its answer early, as a new prompt from the browser does."""
    at.chat_input[0].set_value(prompt)
    with pytest.raises(RuntimeError, match="timed out"):
        at.run(timeout=2)
    assert state.JOB in at.session_state  # the answer goes on in its thread, not collected yet


def said(at: AppTest) -> list[str]:
    return [message.markdown[0].value for message in at.chat_message]


def test_a_prompt_after_an_answer_ended_uncollected_is_sent_after_it(app, configured: FakeOpenAI) -> None:
    configured.queue(SLOW, Text("Second answer."))
    at = app().run()
    cut_short(at, "First question")
    assert at.session_state[state.JOB].wait(10)
    send_message(at, "Second question")
    assert not at.exception
    assert said(at) == ["First question", SLOW.text, "Second question", "Second answer."]
    assert state.JOB not in at.session_state
    assert [body["input"] for body in configured.response_requests()] == [
        [{"role": "user", "content": "First question"}],
        [{"role": "user", "content": "Second question"}],
    ]


def test_a_prompt_while_an_answer_runs_is_put_back_into_the_input(app, configured: FakeOpenAI) -> None:
    configured.queue(SLOW, Text("Second answer."))
    at = app().run()
    cut_short(at, "First question")
    send_message(at, "Second question")
    assert not at.exception
    assert [t.value for t in at.toast] == [
        "The last answer is still being written: your message is back in the "
        "input. Send it when the answer is done, or press Stop."
    ]
    assert said(at) == ["First question", SLOW.text]
    assert at.chat_input[0].value == "Second question"
    assert len(configured.response_requests()) == 1
    send_message(at, "Second question")
    assert said(at)[2:] == ["Second question", "Second answer."]


def test_a_prompt_put_back_never_replaces_one_just_sent(app, configured: FakeOpenAI) -> None:
    configured.queue(Text("Answer."))
    at = app().run()
    at.session_state[state.RESTORE_PROMPT] = "An older prompt"
    send_message(at, "The newest prompt")
    assert not at.exception
    assert configured.last_input() == [{"role": "user", "content": "The newest prompt"}]
    assert said(at) == ["The newest prompt", "Answer."]
