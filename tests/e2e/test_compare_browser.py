"""In Chromium: three Compare columns stream at once, each visibly growing before any has finished."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.actions import wait_idle
from tests.fake_openai import FakeOpenAI, Text

NAMES = ("Alpha", "Beta", "Gamma")
WORDS = 40  # one word every 0.1 s: each answer takes about 4 s


def answer(name: str) -> Text:
    return Text(f"{name} " + "word " * WORDS + f"END-{name}", deltas=WORDS + 2, delay=0.1)


def test_three_columns_stream_at_once(page: Page, app_url: str, fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.queue(*(answer(name) for name in NAMES))  # the columns' requests arrive in any order
    page.goto(f"{app_url}/compare")
    wait_idle(page)
    page.get_by_test_id("stButtonGroup").get_by_text("3", exact=True).click()
    wait_idle(page)
    slots = page.get_by_test_id("stColumn")
    expect(slots).to_have_count(5)  # the page's top row (2), then the three columns
    page.get_by_test_id("stChatInputTextArea").fill("Count words")
    page.get_by_test_id("stChatInputTextArea").press("Enter")
    answers = [slots.nth(2 + n).get_by_test_id("stChatMessage").nth(1) for n in range(3)]
    all_streaming, deadline = False, time.monotonic() + 30
    while time.monotonic() < deadline and not all_streaming:
        texts = [a.inner_text(timeout=100) if a.count() else "" for a in answers]
        assert not any("END-" in t for t in texts), f"one column finished before all three streamed: {texts}"
        # Visibly streaming: its first word is on screen, its last is not yet.
        all_streaming = all(any(name in t for name in NAMES) and "word" in t for t in texts)
        time.sleep(0.05)
    page.screenshot(path=tmp_path / "streaming.png", full_page=True)
    assert all_streaming, "the three columns never streamed at the same time"
    for n in range(3):
        expect(answers[n]).to_contain_text("END-", timeout=30_000)
    wait_idle(page)
    for n in range(3):  # under each answer, once in: its timings and the column's buttons
        expect(slots.nth(2 + n)).to_contain_text("first token")
        expect(slots.nth(2 + n).get_by_role("button", name="Continue in chat")).to_be_visible()
    page.screenshot(path=tmp_path / "answered.png", full_page=True)
    shown = sorted(next(name for name in NAMES if name in a.inner_text()) for a in answers)
    assert shown == sorted(NAMES)  # each answer in its own column, none twice
    bodies = fake.response_requests()
    assert len(bodies) == 3 and len({b["conversation"] for b in bodies}) == 3
