"""(a) Each recorded stream through the real SDK over HTTP into lib.stream: the Turn equals the terminal response."""

from __future__ import annotations

import copy
import warnings

import openai
import pytest
from openai import OpenAI

from lib.stream import Turn, Usage, apply
from tests.fake_openai import FakeOpenAI, Recording
from tests.replay.corpus import CORPUS, STREAMS, Case, stream_id

TERMINAL = {"response.completed", "response.incomplete", "response.failed"}


def replay(fake: FakeOpenAI, recording: Recording) -> tuple[Turn, Turn, object, list[str]]:
    """Stream the recording into a Turn: (turn before the terminal event, final turn, terminal response, types)."""
    fake.queue(recording)
    client = OpenAI(api_key="sk-replay", base_url=fake.base_url, max_retries=0)
    turn, before, terminal, kinds = Turn(prompt="replay"), None, None, []
    with client.responses.create(model="gpt-5-mini", input="replay", stream=True) as stream:
        for event in stream:
            kinds.append(event.type)
            if event.type in TERMINAL:
                before, terminal = copy.deepcopy(turn), event.response
            apply(turn, event)
    return before, turn, terminal, kinds


def _text(output: object) -> str:
    return "".join(c.text for c in getattr(output, "content", None) or [] if c.type == "output_text")


def _annotations(output: object) -> list[dict]:
    return [
        a.model_dump(exclude_none=True)
        for c in getattr(output, "content", None) or []
        if c.type == "output_text"
        for a in c.annotations or []
    ]


@pytest.mark.parametrize("stream", STREAMS, ids=stream_id)
@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "plain"])
def test_the_turn_equals_the_terminal_response(stream: tuple[Case, int], chunked: bool) -> None:
    case, index = stream
    recording = Recording.from_file(CORPUS / case.streams[index]["file"], chunked=chunked)
    with FakeOpenAI() as fake:
        if any(e.get("type") == "error" for e in recording.events()):
            # The SDK raises at an `error` event (its data has an `error` key): the terminal event is never read.
            error = next(e["error"] for e in recording.events() if e.get("type") == "error")
            with pytest.raises(openai.APIError, match="exceeded your current quota") as raised:
                replay(fake, recording)
            assert raised.value.body == error
            return
        before, turn, terminal, kinds = replay(fake, recording)
    assert kinds == [e["type"] for e in recording.events()]  # every event reached the app, in order
    assert turn.response_id == terminal.id and turn.status == terminal.status
    # The final Turn and the Turn built from the streamed events alone both match the terminal response.
    for built in (turn, before):
        assert [(i.id, i.type) for i in built.items] == [(o.id, o.type) for o in terminal.output]
        for item, output in zip(built.items, terminal.output, strict=True):
            if output.type == "message":
                assert item.text == _text(output)
                assert item.annotations == _annotations(output)
            elif output.type == "reasoning":
                assert [s for s in item.summary if s] == [s.text for s in output.summary or []]
            else:
                assert item.data == output.model_dump(exclude_none=True), item.id
    expected = Usage()
    expected.add(terminal.usage)
    assert turn.usage == expected and turn.rounds[-1].usage == expected


@pytest.mark.parametrize("stream", STREAMS, ids=stream_id)
def test_recorded_events_dump_without_serializer_warnings(stream: tuple[Case, int]) -> None:
    """Dumping what the SDK parsed must not warn (issue 13 item 6)."""
    case, index = stream
    recording = Recording.from_file(CORPUS / case.streams[index]["file"])
    if recording.final() is None:
        return
    with FakeOpenAI() as fake:
        fake.queue(recording)
        response = OpenAI(api_key="sk-replay", base_url=fake.base_url).responses.create(model="m", input="x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for output in response.output:
            output.model_dump(exclude_none=True)
    assert [str(w.message)[:200] for w in caught] == []
