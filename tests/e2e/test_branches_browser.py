"""In Chromium: regenerate an answer, move between its versions with ‹ ›, and fork into a new chat."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.actions import wait_idle
from tests.fake_openai import FakeOpenAI, Text


def send(page: Page, prompt: str) -> None:
    page.get_by_test_id("stChatInputTextArea").fill(prompt)
    page.get_by_test_id("stChatInputTextArea").press("Enter")


def test_regenerate_switch_and_fork(page: Page, app_url: str, fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.queue(Text("The first answer."), Text("The second answer."))
    page.goto(app_url)
    wait_idle(page)
    send(page, "Question one")
    messages = page.get_by_test_id("stChatMessage")
    expect(messages.nth(1)).to_contain_text("The first answer.", timeout=20_000)
    wait_idle(page)
    original = page.url
    # The turn just answered has its controls at once, without another interaction.
    messages.nth(1).get_by_role("button", name="Regenerate").click()
    expect(messages.nth(1)).to_contain_text("The second answer.", timeout=20_000)
    wait_idle(page)
    expect(messages.nth(0)).to_contain_text("2/2")
    assert page.url != original and "conversation=conv_" in page.url
    page.screenshot(path=tmp_path / "regenerated.png", full_page=True)
    messages.nth(0).get_by_role("button", name="‹").click()
    wait_idle(page)
    expect(messages.nth(1)).to_contain_text("The first answer.")
    expect(messages.nth(0)).to_contain_text("1/2")
    assert page.url == original
    messages.nth(1).get_by_role("button", name="Fork").click()
    wait_idle(page)
    expect(page.get_by_test_id("stAlertContentInfo")).to_contain_text("Forked into a new chat")
    expect(messages).to_have_count(2)
    assert page.url not in {original} and "conversation=conv_" in page.url
    page.screenshot(path=tmp_path / "forked.png", full_page=True)
