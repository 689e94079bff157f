"""In Chromium: turn a function and an MCP server on in Setup, then a turn that calls both, with an approval click."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.actions import wait_idle
from tests.fake_openai import FakeOpenAI, FunctionCall, McpApprovalRequest, McpCall, Message, Reply

MCP_URL = "https://mcp.example.com/sse"


def count_script_runs(page: Page) -> None:
    """Count the app's script runs in the page, so a test can wait for the rerun an action causes."""
    page.evaluate("""() => {
        window.scriptRuns = 0;
        new MutationObserver((changes) => {
            for (const change of changes) {
                if (change.target.getAttribute("data-test-script-state") === "running") window.scriptRuns += 1;
            }
        }).observe(document.body, {attributes: true, subtree: true, attributeFilter: ["data-test-script-state"]});
    }""")


def rerun_after(page: Page, action) -> None:  # noqa: ANN001 - a callable doing the action
    """Do the action, then wait for the rerun it causes to start and to finish."""
    before = page.evaluate("window.scriptRuns")
    action()
    page.wait_for_function(f"window.scriptRuns > {before}")
    wait_idle(page)


def configure_tools(page: Page, app_url: str) -> None:
    """On Setup's Tools tab: tick get_weather, add an MCP server row, save."""
    page.goto(f"{app_url}/setup")
    wait_idle(page)
    count_script_runs(page)
    page.get_by_role("tab", name="Tools").click()
    # A rerun landing after "Add row" would drop the row the grid holds, so let this one finish first.
    rerun_after(page, page.get_by_test_id("stCheckbox").filter(has_text="get_weather").locator("label").click)
    editor = page.get_by_test_id("stDataFrame")
    editor.hover()
    editor.get_by_role("button", name="Add row").click()  # only in the grid until a cell is edited
    expect(editor.get_by_test_id("glide-cell-1-0")).to_have_count(1)
    # The grid is a canvas: a double click by position (35 px header and rows) opens a cell's editor.
    # A row with required cells left empty stays in the grid; filling the last one sends it, and reruns.
    box = editor.locator("canvas").first.bounding_box()
    assert box is not None
    cell_editor = page.locator("#portal textarea, #portal input")

    def fill(x: float, text: str) -> None:
        page.mouse.dblclick(box["x"] + x, box["y"] + 35 + 17)
        cell_editor.fill(text)  # fills the overlay editor once it is there, focused or not
        cell_editor.press("Enter")
        expect(cell_editor).to_have_count(0)

    fill(90, "docs")
    fill(230, MCP_URL)
    expect(page.get_by_label("Authorization header for docs")).to_be_visible()
    wait_idle(page)
    page.get_by_role("button", name="Save").click()
    wait_idle(page)


def test_function_call_and_mcp_approval_in_the_browser(
    page: Page, app_url: str, fake: FakeOpenAI, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": 1000, "height": 1400})
    configure_tools(page, app_url)
    fake.queue(
        Reply(FunctionCall("get_weather", {"location": "Paris, France", "unit": "celsius"}, call_id="call_paris")),
        Reply(McpApprovalRequest("docs", "search_docs", {"query": "umbrella advice"})),
    )
    chat_input = page.get_by_test_id("stChatInputTextArea")
    chat_input.fill("Weather in Paris, and what do the docs say about umbrellas?")
    chat_input.press("Enter")
    approve = page.get_by_role("button", name="Approve")
    expect(approve).to_be_visible(timeout=20_000)
    wait_idle(page)
    answer = page.get_by_test_id("stChatMessage").nth(1)
    expect(answer).to_contain_text("Called get_weather")
    expect(answer.get_by_test_id("stMetric").first).to_contain_text("Paris, France")
    expect(answer).to_contain_text("docs asks to run search_docs")
    page.screenshot(path=tmp_path / "approval.png", full_page=True)

    fake.queue(
        Reply(
            McpCall("docs", "search_docs", {"query": "umbrella advice"}, output="Carry one in spring."),
            Message("It is mild in Paris; the docs say to carry an umbrella in spring."),
        )
    )
    approve.click()
    expect(answer).to_contain_text("the docs say to carry an umbrella", timeout=20_000)
    wait_idle(page)
    expect(answer).to_contain_text("Called search_docs on docs")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    page.screenshot(path=tmp_path / "answered.png", full_page=True)

    first, second, third = fake.response_requests()
    assert {t["type"] for t in first["tools"]} == {"function", "mcp"}
    mcp = next(t for t in first["tools"] if t["type"] == "mcp")
    assert (mcp["server_label"], mcp["server_url"], mcp["require_approval"]) == ("docs", MCP_URL, "always")
    assert [(i["type"], i["call_id"]) for i in second["input"]] == [("function_call_output", "call_paris")]
    assert json.loads(second["input"][0]["output"])["location"] == "Paris, France"
    assert [(i["type"], i["approve"]) for i in third["input"]] == [("mcp_approval_response", True)]
