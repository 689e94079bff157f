"""Small rules the page relies on: where a streaming answer may be split, and which links stay links."""

from __future__ import annotations

import pytest

from lib.markup import safe_link
from lib.ui.live import paragraph_break


def test_a_paragraph_ends_at_the_last_blank_line() -> None:
    text = "One.\n\nTwo.\n\nThree"
    assert paragraph_break(text, 0) == text.index("Three")
    assert paragraph_break("No break yet", 0) == 0
    assert paragraph_break(text, text.index("Three")) == text.index("Three")  # nothing new after `start`


@pytest.mark.parametrize("fence", ["```", "~~~", "  ```"])
def test_a_blank_line_inside_an_open_code_fence_is_no_paragraph_break(fence: str) -> None:
    # Splitting there would draw half a code block as text and the other half as a new, unclosed block.
    text = f"Intro.\n\n{fence}python\nx = 1\n\ny = 2"
    assert paragraph_break(text, 0) == text.index(fence)
    closed = f"{text}\n{fence.strip()}\n\nAfter."
    assert paragraph_break(closed, 0) == closed.index("After.")


def test_only_blank_lines_after_start_count() -> None:
    text = "```\ncode\n\nmore\n```\n\nTail"
    assert paragraph_break(text, text.index("code")) == text.index("Tail")


def test_http_and_https_urls_become_links_with_an_escaped_title_and_their_host() -> None:
    assert (
        safe_link("Cats [and] dogs", "https://cats.example/a")
        == "[Cats \\[and\\] dogs (cats\\.example)](https://cats.example/a)"
    )
    assert safe_link("Plain", "http://old.example") == "[Plain (old\\.example)](http://old.example)"
    assert safe_link("Loud", "HTTPS://loud.example") == "[Loud (loud\\.example)](HTTPS://loud.example)"


def test_spaces_and_parentheses_cannot_end_the_link_early() -> None:
    assert safe_link("Wiki", "https://w.example/a (b) c") == "[Wiki (w\\.example)](https://w.example/a%20%28b%29%20c)"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "file:///etc/passwd",
        "//evil.example/x",
        "ftp://files.example",
        "",
    ],
)
def test_any_other_url_is_plain_text(url: str) -> None:
    assert safe_link("Click me!", url) == "Click me\\!"
