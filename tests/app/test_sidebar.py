"""The sidebar lists this owner's recent conversations as links that reopen them."""

from __future__ import annotations

from tests.app.actions import send_message
from tests.fake_openai import FakeOpenAI, Text


def test_recent_conversations_link_to_the_chat(app, configured: FakeOpenAI) -> None:
    configured.queue(Text("Paris is the capital."))
    first = app().run()
    send_message(first, "Capital of France?")
    conversation = first.query_params["conversation"]
    fresh = app().run()
    links = fresh.sidebar.get("page_link")
    assert [(link.proto.label, link.proto.query_string) for link in links] == [
        ("Capital of France?", f"conversation={conversation}")
    ]
    reopened = app(conversation=conversation).run()
    assert [m.markdown[0].value for m in reopened.chat_message] == ["Capital of France?", "Paris is the capital."]
