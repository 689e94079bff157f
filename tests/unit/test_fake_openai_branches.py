"""The double's branching: a previous_response_id that is not the latest, conversations made with items."""

from __future__ import annotations

from openai import OpenAI

from tests.fake_openai import FakeOpenAI, Seen


def client_for(fake: FakeOpenAI) -> OpenAI:
    return OpenAI(base_url=fake.base_url, api_key="sk-test", max_retries=0)


def test_a_response_continuing_an_earlier_one_sees_that_chain_not_the_latest(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    one = client.responses.create(model="gpt-5-mini", input="one")
    two = client.responses.create(model="gpt-5-mini", input="two", previous_response_id=one.id)
    client.responses.create(model="gpt-5-mini", input="three", previous_response_id=two.id)
    fake_openai.queue(Seen(), Seen())
    branch = client.responses.create(model="gpt-5-mini", input="deux", previous_response_id=one.id)
    assert branch.output_text == "Seen: one | deux"
    assert branch.previous_response_id == one.id
    # The branch is a chain of its own: continuing it sees its own turns only.
    after = client.responses.create(model="gpt-5-mini", input="trois", previous_response_id=branch.id)
    assert after.output_text == "Seen: one | deux | trois"


def test_a_conversation_made_with_items_is_the_context_of_its_next_response(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai)
    conversation = client.conversations.create(
        items=[
            {"type": "message", "role": "user", "content": "earlier question"},
            {"type": "message", "role": "assistant", "content": "earlier answer"},
            {"type": "message", "role": "user", "content": "the prompt again"},
        ]
    )
    # With no new input the model answers the conversation's last message, as the API does.
    answer = client.responses.create(model="gpt-5-mini", conversation=conversation.id)
    assert answer.output_text == "Echo: the prompt again"
    items = list(client.conversations.items.list(conversation.id, order="asc"))
    assert [getattr(i, "role", None) for i in items] == ["user", "assistant", "user", "assistant"]
