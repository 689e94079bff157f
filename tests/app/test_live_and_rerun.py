"""A streamed answer draws the same as the same answer drawn again by the next rerun."""

from __future__ import annotations

from typing import Any

from lib.tools import McpServer
from tests.app.actions import send_message, start
from tests.fake_openai import FakeOpenAI, McpApprovalRequest, McpCall, Message, Reasoning, Reply, WebSearch

DOCS = McpServer(label="docs", url="https://mcp.example.com/sse", require_approval="always")


def drawn(block: Any) -> list[tuple[str, str]]:
    """What a user sees in a block, in order: expanders with their text, cards, and the text between them.

    Consecutive markdown elements are joined: the live view gives each finished paragraph its own element.
    """
    seen: list[tuple[str, str]] = []

    def text(kind: str, value: str) -> None:
        if seen and seen[-1][0] == kind == "markdown":
            seen[-1] = (kind, f"{seen[-1][1]}\n\n{value}")
        else:
            seen.append((kind, value))

    def walk(node: Any) -> None:
        kind = type(node).__name__.lower()
        if kind in {"expander", "status"}:
            inner = " ".join(value for _, value in drawn(node))
            seen.append((kind, f"{node.label}: {inner}" if kind == "expander" else node.label))
            return
        if kind == "markdown":
            text("markdown", node.value)
        elif kind in {"caption", "warning", "error", "image"}:
            seen.append((kind, str(getattr(node, "value", ""))))
        for child in getattr(node, "children", {}).values():
            walk(child)

    for child in block.children.values():
        walk(child)
    return seen


def expanders(block: Any) -> list[tuple[str, str]]:
    return [entry for entry in drawn(block) if entry[0] == "expander"]


def test_reasoning_without_summary_draws_no_thinking_block_live_or_after_a_rerun(app, configured: FakeOpenAI) -> None:
    configured.queue(
        Reply(
            Reasoning(),
            Reasoning(("Weighing **options**.",)),
            WebSearch("blue"),
            Reasoning(),
            Message("Blue.\n\nIt is calm."),
        )
    )
    at = start(app, reasoning_summary="concise", web_search=True)
    send_message(at, "Pick a colour")
    assert not at.exception
    live = drawn(at.chat_message[1])
    at.run()
    assert not at.exception
    rerun = drawn(at.chat_message[1])
    assert expanders(at.chat_message[1]) == [("expander", "Thinking: Weighing **options**.")]
    assert live == rerun
    assert ("markdown", "Blue.\n\nIt is calm.") in rerun


def test_the_continued_turn_after_an_approval_draws_as_the_rerun_does(app, configured: FakeOpenAI) -> None:
    configured.queue(Reply(Reasoning(), McpApprovalRequest("docs", "search_docs", {"query": "limits"})))
    at = start(app, mcp_servers=(DOCS,))
    send_message(at, "Search the docs")
    assert not at.exception
    assert not expanders(at.chat_message[1])
    configured.queue(
        Reply(
            Reasoning(), McpCall("docs", "search_docs", {"query": "limits"}, output="500 RPM"), Message("500 a minute.")
        )
    )
    at.button(key=next(b.key for b in at.button if b.label == "Approve")).click().run()
    assert not at.exception
    live = drawn(at.chat_message[1])
    at.run()
    assert not at.exception
    assert not expanders(at.chat_message[1])
    assert live == drawn(at.chat_message[1])
