"""Items as the real API sends them, which a double tends to leave out: page actions, image formats, error events."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from lib.tools import ToolSettings
from tests.fake_openai import FakeOpenAI, Message, Reply, WebSearch


def start(app, **tools: Any) -> AppTest:
    at = app()
    at.session_state["settings"] = {"tools": ToolSettings(**tools)}
    return at.run()


def chat(at: AppTest, prompt: str) -> AppTest:
    at.chat_input[0].set_value(prompt).run()
    assert not at.exception
    return at


def test_web_search_page_actions_say_which_page_was_opened_or_searched(app, configured: FakeOpenAI) -> None:
    configured.queue(Reply(
        WebSearch("cat sleep", sources=("https://cats.example/sleep",)),
        WebSearch(action="open_page", url="https://www.cats.example/sleep/hours?ref=search"),
        WebSearch(action="find_in_page", url="https://cats.example/sleep/hours", pattern="16 hours"),
        WebSearch(action="open_page"),
        Message("About 16 hours."),
    ))
    at = chat(start(app, web_search=True), "How long do cats sleep?")
    expected = [
        ("Searched the web: cat sleep · 1 source", "complete"),
        ("Opened cats\\.example/sleep/hours", "complete"),
        ("Searched for “16 hours” in cats\\.example/sleep/hours", "complete"),
        ("Opened a page", "complete"),
    ]
    for run in range(2):
        assert [(card.label, card.state) for card in at.chat_message[1].get("status")] == expected
        at.run()
