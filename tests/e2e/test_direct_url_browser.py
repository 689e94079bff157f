"""In Chromium: the very first visit to a fresh server may go straight to a page's URL; Home.py still frames it.

(With a `pages/` folder next to `st.navigation`, Streamlit ran such a first visit as a legacy page without
Home.py: no sidebar, and no login or password gate. The pages live in `app_pages/` for that reason.)
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.actions import wait_idle


def test_first_visit_straight_to_a_page_goes_through_the_frame(page: Page, app_url: str) -> None:
    page.goto(f"{app_url}/setup")
    wait_idle(page)
    expect(page.get_by_role("heading", name="Setup")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_role("button", name="New chat")).to_be_visible()
