"""In Chromium: create a store, upload two real files, watch both reach `completed`."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.actions import wait_idle
from tests.fake_openai import FakeOpenAI


def test_two_uploaded_files_complete(page: Page, app_url: str, fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.files.polls_to_complete = 3  # the upload's rerun reads twice; the status table's timer makes the third
    notes, guide = tmp_path / "notes.md", tmp_path / "guide.txt"
    notes.write_text("# Notes\nThe launch is on Tuesday.\n")
    guide.write_text("Press the green button to start.\n")

    # Through the sidebar, as a person would.
    page.goto(app_url)
    wait_idle(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Files").click()
    expect(page.get_by_role("heading", name="Files", exact=True)).to_be_visible(timeout=20_000)
    wait_idle(page)
    page.get_by_label("Name of the new store").fill("Browser docs")
    page.get_by_role("button", name="Create store").click()
    expect(page.get_by_text("Created the store Browser docs.")).to_be_visible(timeout=20_000)
    wait_idle(page)

    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([notes, guide])
    expect(page.get_by_test_id("stFileChipName")).to_have_count(2, timeout=20_000)
    page.get_by_role("button", name="Upload and index").click()
    expect(page.get_by_text("Last upload: 2 in progress")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("Last upload: 2 completed")).to_be_visible(timeout=20_000)
    wait_idle(page)
    page.screenshot(path=tmp_path / "files.png", full_page=True)
    # The last poll reruns the whole page once (fresh store counts), which may start after wait_idle returned;
    # after that, nothing: a quiet window longer than the poll interval must come, and soon.
    deadline, polled = time.monotonic() + 10, len(fake.requests)
    while True:
        page.wait_for_timeout(1_500)  # longer than the poll interval
        if len(fake.requests) == polled:
            break
        assert time.monotonic() < deadline, "the status table kept polling after every file was final"
        polled = len(fake.requests)

    assert sorted(fake.files.filenames()) == ["guide.txt", "notes.md"]
    uploads = [r for r in fake.requests if r.method == "POST" and r.path == "/v1/files"]
    assert {r.body["file"]["data"] for r in uploads} == {notes.read_bytes(), guide.read_bytes()}
    html = page.content()
    assert "notes.md" in html and "guide.txt" in html
