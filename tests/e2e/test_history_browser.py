"""In Chromium: a chat answer lands in History, exports as CSV, and its row opens the answer in full."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.actions import ask, wait_idle
from tests.fake_openai import FakeOpenAI, Text

HEADER_PX = 35  # st.dataframe's header row; the first data row follows it
ROW_PX = 35


def test_a_chat_answer_shows_up_in_history(page: Page, app_url: str, fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.queue(Text("Paris is the capital of **France**."))
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.goto(app_url)
    wait_idle(page)
    ask(page, "What is the capital of France?", "Paris is the capital of")

    page.goto(f"{app_url}/history")
    wait_idle(page)
    expect(page.get_by_text("Responses 1–1 of")).to_be_visible(timeout=20_000)
    # The grid draws on a canvas; its cells are also in an accessible table in the page's HTML.
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text("What is the capital of France?", timeout=20_000)

    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    exported = Path(download.value.path()).read_text()
    assert exported.startswith("id,created_at,") and "What is the capital of France?" in exported

    grid = page.get_by_test_id("stDataFrame").first.bounding_box()
    assert grid is not None
    page.mouse.click(grid["x"] + 18, grid["y"] + HEADER_PX + ROW_PX / 2)  # the first row's selection box
    expect(page.get_by_text("Open conversation in chat")).to_be_visible(timeout=20_000)
    wait_idle(page)
    answer = page.get_by_test_id("stChatMessage").filter(has_text="Paris is the capital of")
    expect(answer.locator("strong")).to_have_text("France")
    page.screenshot(path=tmp_path / "history.png", full_page=True)
    assert any(r.method == "GET" and r.path.endswith("/input_items") for r in fake.requests)
