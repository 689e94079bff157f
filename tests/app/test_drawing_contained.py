"""An item that cannot be drawn costs only its own place in the answer: the turn is kept and the chat goes on."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from lib import registry as functions
from lib.ui import state
from lib.ui.cards import CARDS
from lib.ui.transcript import NOT_DRAWN
from tests.app.actions import send_message, start
from tests.fake_openai import FakeOpenAI, FunctionCall, ImageGeneration, Message, Reply, Text

NOT_AN_IMAGE = base64.b64encode(b"these bytes are no picture at all").decode()


def captions(block: Any) -> list[str]:
    return [c.value for c in block.caption]


def broken_card(value: dict[str, Any]) -> None:
    """A result widget with a bug in it."""
    raise KeyError("temperature")


@pytest.fixture
def probe_with_a_broken_card(monkeypatch: pytest.MonkeyPatch) -> str:
    """A function registered for this test only, whose result card raises while it is drawn."""
    monkeypatch.setattr(functions, "_REGISTRY", dict(functions.registry()))
    monkeypatch.setitem(CARDS, "broken_for_test", broken_card)

    @functions.tool(card="broken_for_test")
    def probe_reading(city: str) -> dict[str, Any]:
        """Read the probe in a city."""
        return {"city": city, "reading": 7}

    return "probe_reading"


def answer_and_go_on(at: AppTest, configured: FakeOpenAI) -> None:
    """The chat is not wedged: no job is left, and the next prompt is sent and answered."""
    assert state.JOB not in at.session_state
    configured.queue(Text("Still here."))
    send_message(at, "Are you there?")
    assert not at.exception
    assert not [t for t in at.toast if "still being written" in t.value]
    assert at.chat_message[3].markdown[0].value == "Still here."
    assert configured.last_input() == [{"role": "user", "content": "Are you there?"}]


def test_an_image_that_does_not_decode_leaves_a_note_and_the_rest_is_drawn(app, configured: FakeOpenAI) -> None:
    configured.queue(Reply(ImageGeneration(NOT_AN_IMAGE, partials=0), Message("Here it is.")))
    at = start(app, image_generation=True)
    send_message(at, "Draw a cat")
    for run in range(2):  # while it streams, and as the transcript draws it again
        assert not at.exception
        reply = at.chat_message[1]
        assert [card.label for card in reply.get("status")] == ["Generated an image"]
        assert NOT_DRAWN in captions(reply)
        assert "Here it is." in [m.value for m in reply.markdown]
        assert captions(reply)[-1].startswith("3 in")  # the usage line: the turn's ending is drawn too
        if not run:
            at.run()
    answer_and_go_on(at, configured)


def test_a_result_card_that_raises_leaves_the_job_collected(
    app, configured: FakeOpenAI, probe_with_a_broken_card: str
) -> None:
    configured.queue(Reply(FunctionCall(probe_with_a_broken_card, {"city": "Oslo"})), Text("It reads 7."))
    at = start(app, functions=(probe_with_a_broken_card,))
    send_message(at, "Read the probe")
    assert not at.exception
    reply = at.chat_message[1]
    assert [card.label for card in reply.get("status")] == ["Called probe_reading"]
    assert NOT_DRAWN in captions(reply)
    assert "It reads 7." in [m.value for m in reply.markdown]
    answer_and_go_on(at, configured)


def test_an_attached_picture_that_does_not_decode_does_not_wedge_the_chat(app, configured: FakeOpenAI) -> None:
    configured.queue(Text("I cannot see a picture."))
    at = app().run()
    at.chat_input[0].upload("photo.png", b"not a png", "image/png").set_value("What is this?").run()
    for run in range(2):
        assert not at.exception
        assert "What is this?" in [m.value for m in at.chat_message[0].markdown]
        assert at.chat_message[1].markdown[0].value == "I cannot see a picture."
        assert NOT_DRAWN in [c.value for c in at.caption]
        if not run:
            at.run()
    answer_and_go_on(at, configured)
