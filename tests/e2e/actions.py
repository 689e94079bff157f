"""What a user does in the browser tests: send a chat message, wait for its answer, wait for the script run."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def wait_idle(page: Page) -> None:
    """Wait until the script run has finished."""
    page.wait_for_selector(IDLE, timeout=30_000)


def send_message(page: Page, prompt: str) -> None:
    """Type a prompt into the chat input and press Enter (the answer is not awaited)."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(prompt)
    box.press("Enter")


def ask(page: Page, prompt: str, answer_contains: str, timeout: float = 20_000) -> Locator:
    """Send a prompt, wait until the last chat bubble shows `answer_contains` and the run is over; that bubble."""
    send_message(page, prompt)
    answer = page.get_by_test_id("stChatMessage").last
    expect(answer).to_contain_text(answer_contains, timeout=timeout)
    wait_idle(page)
    return answer
