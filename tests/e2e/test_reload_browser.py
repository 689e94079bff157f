"""In Chromium: reload the page while a background answer is being written; it completes on the new page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.actions import send_message, wait_idle
from tests.fake_openai import FakeOpenAI, Text

LONG_TEXT = " ".join(f"word{number}" for number in range(91)) + "."


@pytest.fixture(scope="module")
def app_extra_env() -> dict[str, str]:
    return {"OPENAI_BACKGROUND": "true"}


def test_reload_mid_answer_picks_the_answer_up(page: Page, app_url: str, fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.queue(Text(LONG_TEXT, delay=0.04))
    page.goto(app_url)
    wait_idle(page)
    send_message(page, "Write a long answer")
    expect(page.get_by_test_id("stChatMessage").nth(1)).to_contain_text("word10", timeout=20_000)
    assert "pending=resp_" in page.url
    page.reload()
    assistant = page.get_by_test_id("stChatMessage").nth(1)
    expect(assistant).to_contain_text("word90.", timeout=30_000)
    wait_idle(page)
    page.screenshot(path=tmp_path / "reloaded.png", full_page=True)
    assert assistant.inner_text().count("word50") == 1
    expect(page.get_by_test_id("stChatMessage")).to_have_count(2)
    assert "pending=" not in page.url and "conversation=conv_" in page.url
