"""Real items the SDK cannot type exactly are dumped whole and without pydantic warnings."""

from __future__ import annotations

import warnings
from typing import Any

from openai import OpenAI

from lib.conversations import load_conversation
from lib.stream import Turn, apply
from tests.fake_openai import FakeOpenAI, Message, Reply, WebSearch, url_citation

SOURCES = ("https://cats.example/sleep", {"type": "api", "name": "oai-weather"})
REPLY = Reply(
    WebSearch("cat sleep hours", sources=SOURCES),
    WebSearch(action="open_page", url="https://cats.example/sleep"),
    WebSearch(action="find_in_page", url="https://cats.example/sleep", pattern="16 hours"),
    Message("About 16 hours.", annotations=(url_citation("https://cats.example/sleep", "Sleep", 0, 5),)),
)


def without_nulls(value: Any) -> Any:
    """The wire JSON as the app keeps it: explicit nulls dropped, everything else as sent."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


def client(fake: FakeOpenAI) -> OpenAI:
    return OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0)


def test_streamed_web_search_items_fold_without_warnings_and_keep_every_field(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(REPLY)
    turn = Turn(prompt="How long do cats sleep?")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a PydanticSerializationUnexpectedValue warning fails the test
        for event in client(fake_openai).responses.create(
            model="gpt-5-mini", input=turn.prompt, stream=True, include=["web_search_call.action.sources"]
        ):
            apply(turn, event)
    sent = fake_openai.store.response(turn.response_id).response["output"]
    assert [item.data for item in turn.items] == without_nulls(sent)
    assert turn.items[0].data["action"]["sources"][1] == {"type": "api", "name": "oai-weather"}
    assert turn.items[2].data["action"] == {
        "type": "find_in_page",
        "url": "https://cats.example/sleep",
        "pattern": "16 hours",
    }


def test_a_reloaded_conversation_keeps_its_web_search_items_without_warnings(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(REPLY)
    api = client(fake_openai)
    conversation = api.conversations.create()
    for _ in api.responses.create(
        model="gpt-5-mini",
        input="Sleep?",
        stream=True,
        conversation=conversation.id,
        include=["web_search_call.action.sources"],
    ):
        pass
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (turn,) = load_conversation(api, conversation.id)
    stored = [i for i in fake_openai.store.items(conversation.id) if i.get("role") != "user"]
    assert [item.data for item in turn.items] == without_nulls(stored)
