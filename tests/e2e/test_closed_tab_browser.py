"""In Chromium: closing the tab mid-answer stops the turn's worker and lets go of its stream (issue 12, item 11).

This is the one place the liveness check meets a real Streamlit runtime (`lib/ui/session.py`).
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.actions import send_message, wait_idle
from tests.fake_openai import Endless, FakeOpenAI


@pytest.fixture(scope="module")
def app_extra_env() -> dict[str, str]:
    # No grace for a reconnect: the test need not wait Streamlit's minute.
    return {"SESSION_GRACE_S": "0"}


def test_closing_the_tab_ends_an_endless_answer(browser: Browser, app_url: str, fake: FakeOpenAI) -> None:
    fake.queue(Endless(delta="and on ", delay=0.02))
    page = browser.new_page()
    page.goto(app_url)
    wait_idle(page)
    send_message(page, "Never stop")
    expect(page.get_by_test_id("stChatMessage").nth(1)).to_contain_text("and on and on", timeout=20_000)
    assert not fake.closed_streams
    page.close()
    deadline = time.monotonic() + 15
    while not fake.closed_streams and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [r.path for r in fake.closed_streams] == ["/v1/responses"]
