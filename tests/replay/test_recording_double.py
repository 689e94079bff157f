"""The double serves a recording byte for byte, and keeps its terminal response as the API would."""

from __future__ import annotations

import http.client
import json

import pytest
from openai import OpenAI

from tests.fake_openai import FakeOpenAI, Recording
from tests.replay.corpus import BY_NAME, CASES, CORPUS


def _post(fake: FakeOpenAI, body: dict) -> tuple[dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
    connection.request("POST", "/v1/responses", json.dumps(body), {"Content-Type": "application/json"})
    response = connection.getresponse()
    return {k.lower(): v for k, v in response.getheaders()}, response.read()


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "plain"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_body_is_the_recording_byte_for_byte(case, chunked: bool) -> None:
    path = CORPUS / case.streams[0]["file"]
    with FakeOpenAI() as fake:
        fake.queue(Recording.from_file(path, chunked=chunked))
        headers, body = _post(fake, {"model": "gpt-5-mini", "input": "x", "stream": True})
    assert body == path.read_bytes()
    assert headers["content-type"].startswith("text/event-stream")
    assert ("transfer-encoding" in headers) is chunked


def test_the_terminal_response_is_stored_and_extends_the_conversation() -> None:
    case = BY_NAME["function-no-sequence"]
    first, second = case.recordings()
    with FakeOpenAI() as fake:
        client = OpenAI(api_key="sk-replay", base_url=fake.base_url, max_retries=0)
        conversation = client.conversations.create()
        fake.queue(first, second)
        for _ in client.responses.create(
            model="gpt-4o", input="Capital of France?", conversation=conversation.id, stream=True
        ):
            pass
        recorded = first.final()
        assert client.responses.with_raw_response.retrieve(recorded["id"]).http_response.json() == recorded
        items = [item.type for item in client.conversations.items.list(conversation.id, order="asc")]
        assert items == ["message", "function_call"]
        call = recorded["output"][0]
        # The recorded call is in the conversation now, so its output is accepted (and an unknown one is not).
        output = {"type": "function_call_output", "call_id": call["call_id"], "output": "Paris"}
        events = list(
            client.responses.create(model="gpt-4o", input=[output], conversation=conversation.id, stream=True)
        )
        assert events[-1].response.id == second.final()["id"]
