"""In Chromium: type a prompt, watch it stream, reload, see the same transcript."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.actions import ask, wait_idle
from tests.fake_openai import FakeOpenAI, Text

ANSWER = "Streams arrive in pieces.\n\nThis second paragraph proves the split rendering keeps everything."


def test_streamed_answer_survives_a_reload(page: Page, app_url: str, fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.queue(Text(ANSWER, delay=0.01))
    page.goto(app_url)
    wait_idle(page)
    ask(page, "How do streams arrive?", "This second paragraph proves the split rendering")
    assert "conversation=conv_" in page.url
    page.screenshot(path=tmp_path / "answered.png", full_page=True)

    page.reload()
    wait_idle(page)
    messages = page.get_by_test_id("stChatMessage")
    expect(messages).to_have_count(2, timeout=20_000)
    expect(messages.nth(0)).to_contain_text("How do streams arrive?")
    expect(messages.nth(1)).to_contain_text("Streams arrive in pieces.")
    expect(messages.nth(1)).to_contain_text("keeps everything.")
    page.screenshot(path=tmp_path / "reloaded.png", full_page=True)
    bodies = fake.response_requests()
    assert len(bodies) == 1 and bodies[0]["conversation"].startswith("conv_")
