"""In Chromium: HTML and javascript: links in model output and in file names render as inert text."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import wait_idle
from tests.fake_openai import FakeOpenAI, Message, Reply, Text, file_citation, url_citation

ATTACKS = "\n\n".join([
    "Before the attacks.",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "After the attacks.",
])


def ask(page: Page, app_url: str, prompt: str) -> list[str]:
    """Open the app, send a prompt, wait for the answer; returns the dialogs that fired (none, we hope)."""
    dialogs: list[str] = []

    def record(dialog) -> None:  # noqa: ANN001 - playwright Dialog
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    page.goto(app_url)
    wait_idle(page)
    page.get_by_test_id("stChatInputTextArea").fill(prompt)
    page.get_by_test_id("stChatInputTextArea").press("Enter")
    return dialogs


def assert_inert(page: Page, dialogs: list[str]) -> None:
    page.wait_for_timeout(500)  # give an onerror handler, had one been created, time to run
    assert dialogs == []
    scripts = page.locator("script").evaluate_all("els => els.filter(e => e.textContent.includes('alert(')).length")
    assert scripts == 0
    assert page.locator("[onerror], iframe[srcdoc], object, embed").count() == 0
    assert page.locator("a[href^='javascript:' i], a[href^='data:' i]").count() == 0


def test_html_and_javascript_links_in_an_answer_are_inert(
    page: Page, app_url: str, fake: FakeOpenAI, tmp_path: Path
) -> None:
    fake.queue(Text(ATTACKS))
    dialogs = ask(page, app_url, "Say something dangerous")
    assistant = page.get_by_test_id("stChatMessage").nth(1)
    expect(assistant).to_contain_text("After the attacks.", timeout=20_000)
    wait_idle(page)
    assert_inert(page, dialogs)
    assert assistant.locator("img").count() == 0
    click = assistant.get_by_text("click", exact=True)
    expect(click).to_be_visible()
    href = (click.get_attribute("href") or "").strip().lower()
    assert not href.startswith("javascript")
    for link in assistant.locator("a").all():
        assert not (link.get_attribute("href") or "").strip().lower().startswith("javascript")
    page.screenshot(path=tmp_path / "injection-answer.png", full_page=True)


def test_file_names_and_citation_titles_are_inert(
    page: Page, app_url: str, fake: FakeOpenAI, tmp_path: Path
) -> None:
    text = "The report says yes."
    fake.queue(Reply(Message(text, annotations=(
        file_citation("file-abc", "<img src=x onerror=alert(2)>report.pdf", len(text)),
        url_citation("javascript:alert(3)", "<script>alert(4)</script>", 0, 10),
        url_citation("https://example.com/ok", "[evil](javascript:alert(5))", 0, 10),
    ))))
    dialogs = ask(page, app_url, "Cite your sources")
    assistant = page.get_by_test_id("stChatMessage").nth(1)
    expect(assistant).to_contain_text("report.pdf", timeout=20_000)
    wait_idle(page)
    assert_inert(page, dialogs)
    assert assistant.locator("img").count() == 0
    page.screenshot(path=tmp_path / "injection-citations.png", full_page=True)
