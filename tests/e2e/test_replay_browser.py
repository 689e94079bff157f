"""In Chromium: real recorded streams (tests/replay) draw the same when they stream in as after a rerun."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.actions import send_message, wait_idle
from tests.e2e.test_tools_browser import count_script_runs, rerun_after
from tests.fake_openai import FakeOpenAI
from tests.replay import page as recorded
from tests.replay.corpus import BY_NAME

CASES = [
    "web-search-citations",
    "function-rounds",
    "reasoning-hidden",
    "mcp-approval-approve",
]


def _bubble(page: Page) -> str:
    """The assistant's bubble as the user reads it, up to "View as code" (whitespace collapsed)."""
    text = " ".join(page.get_by_test_id("stChatMessage").nth(1).inner_text().split())
    return text[: text.index("View as code")].rstrip().rsplit(" ", 1)[0]  # without the button's (or expander's) icon


@pytest.mark.parametrize("name", CASES)
def test_a_recording_draws_the_same_streamed_and_rerun(page: Page, app_url: str, fake: FakeOpenAI, name: str) -> None:
    case = BY_NAME[name]
    fake.queue(*case.recordings(delay=0.005))
    page.goto(app_url)
    wait_idle(page)
    count_script_runs(page)
    send_message(page, "Replay this recording")
    expect(page.get_by_test_id("stChatMessage")).to_have_count(2, timeout=20_000)
    expect(page.get_by_test_id("stChatMessage").nth(1)).to_contain_text(" in (", timeout=30_000)  # the usage line
    wait_idle(page)
    for decision in case.decisions:
        rerun_after(page, page.get_by_role("button", name="Approve" if decision else "Deny").click)
        expect(page.get_by_test_id("stChatMessage").nth(1)).to_contain_text("Done", timeout=30_000)
        wait_idle(page)
    streamed = _bubble(page)
    for text in recorded.texts(case):
        assert " ".join(text.replace("**", "").split())[:60] in streamed
    # A click that reruns the script: "View as code" (what it adds comes after the part compared).
    rerun_after(page, page.get_by_test_id("stChatMessage").nth(1).get_by_text("View as code").click)
    assert _bubble(page) == streamed
