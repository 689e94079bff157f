"""What a user does in an AppTest: open the chat with tools on, find and click a button, send a chat message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from streamlit.testing.v1 import AppTest

from lib.tools import ToolSettings


def button(at: AppTest, label: str) -> Any:
    """The first button with this label; the failure names the buttons there are."""
    found = next((b for b in at.button if b.label == label), None)
    assert found is not None, f"no button {label!r} among {[b.label for b in at.button]}"
    return found


def click(at: AppTest, label: str) -> AppTest:
    """Click the first button with this label and run the script it reruns."""
    return button(at, label).click().run()


def send_message(at: AppTest, prompt: str) -> AppTest:
    """Type a prompt into the chat input and run until the page is done with it (the answer drawn)."""
    at.chat_input[0].set_value(prompt).run()
    assert not at.exception, at.exception
    return at


def start(app: Callable[..., AppTest], **tools: Any) -> AppTest:
    """The chat page with these tools on (as Setup would have saved them)."""
    at = app()
    at.session_state["settings"] = {"tools": ToolSettings(**tools)}
    return at.run()


def uploader(at: AppTest, key: str) -> Any:
    """The file uploader with this widget key (Setup has several: prompts, profiles)."""
    found = next((u for u in at.get("file_uploader") if key in u.proto.id), None)
    assert found is not None, f"no file uploader with key {key!r}"
    return found


def setup_page(app: Callable[..., AppTest], **query: str) -> AppTest:
    """A fresh session (with these query parameters) on the Setup page."""
    at = app(**query).run()
    return at.switch_page("app_pages/setup.py").run()
