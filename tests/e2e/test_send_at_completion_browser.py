"""In Chromium: a message sent the very moment an answer finishes is answered too, many times in a row."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.actions import wait_idle
from tests.fake_openai import FakeOpenAI, Text

ROUNDS = 10


def answer(number: int) -> str:
    return f"Answer {number} streams slowly, word by word, until its last word: done{number}"


def test_a_prompt_sent_as_the_last_word_shows_is_answered_every_time(
    page: Page, app_url: str, fake: FakeOpenAI
) -> None:
    fake.queue(*(Text(answer(n), deltas=12, delay=0.05) for n in range(ROUNDS + 1)))
    page.goto(app_url)
    wait_idle(page)
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill("Question 0")
    box.press("Enter")
    for number in range(ROUNDS):
        # The moment the answer's last word is on screen, the next message goes: no waiting for the page.
        page.wait_for_function(f"document.body.innerText.includes('done{number}')", polling="raf", timeout=30_000)
        box.fill(f"Question {number + 1}")
        box.press("Enter")
    messages = page.get_by_test_id("stChatMessage")
    expect(messages).to_have_count(2 * (ROUNDS + 1), timeout=60_000)
    expect(messages.nth(2 * ROUNDS + 1)).to_contain_text(f"done{ROUNDS}", timeout=30_000)
    wait_idle(page)
    for number in range(ROUNDS + 1):
        expect(messages.nth(2 * number)).to_contain_text(f"Question {number}")
        expect(messages.nth(2 * number + 1)).to_contain_text(f"done{number}")
    sent = [body["input"][-1]["content"] for body in fake.response_requests()]
    assert sent == [f"Question {n}" for n in range(ROUNDS + 1)]
    expect(box).to_have_value("")


def test_a_prompt_sent_while_an_answer_streams_is_back_in_the_input_when_it_ends(
    page: Page, app_url: str, fake: FakeOpenAI
) -> None:
    fake.queue(Text(answer(0), deltas=20, delay=0.15), Text(answer(1)))
    page.goto(app_url)
    wait_idle(page)
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill("Question 0")
    box.press("Enter")
    expect(page.get_by_test_id("stChatMessage").nth(1)).to_contain_text("streams", timeout=20_000)
    box.fill("Question 1")
    box.press("Enter")
    expect(page.get_by_test_id("stToast")).to_contain_text("your message is back in the input", timeout=10_000)
    expect(page.get_by_test_id("stChatMessage").nth(1)).to_contain_text("done0", timeout=20_000)
    expect(box).to_have_value("Question 1", timeout=10_000)
    assert len(fake.response_requests()) == 1
    box.press("Enter")
    messages = page.get_by_test_id("stChatMessage")
    expect(messages.nth(3)).to_contain_text("done1", timeout=20_000)
    assert [body["input"][-1]["content"] for body in fake.response_requests()] == ["Question 0", "Question 1"]
