"""Model, user and web text made safe for st.markdown: no image loads by itself, no link hides its host.

`safe_markdown` rewrites images as links that show their host (unless the host is allowed), annotates
links whose text hides where they go, turns other schemes into text, and escapes HTML tags; code spans
and fences stay as written. The result is then parsed (markdown-it, CommonMark like Streamlit's renderer)
and checked; if anything unsafe survived (a construct the rewriter read differently), the text falls back
to escaping every bracket, so a parser disagreement costs formatting, never a request.
"""

from __future__ import annotations

import functools
import re

from markdown_it.token import Token

from lib import markup_scan as scan
from lib.markup_check import BLOCKS, is_safe
from lib.markup_links import allowed_hosts, escape_markdown, image_link, safe_link, scheme_of, target_of
from lib.markup_rewrite import Scanner, TooHard

# What pages and tests use, from the module that has always had them.
__all__ = [
    "allowed_hosts",
    "code_span",
    "escape_markdown",
    "image_link",
    "is_safe",
    "plain",
    "rewrite_markdown",
    "safe_link",
    "safe_markdown",
    "scheme_of",
    "target_of",
]


def plain(text: object) -> str:
    """A name from outside (file, store, title, profile, model) as literal text on one line."""
    # Lighter than escape_markdown, so labels read the same in the element tree: only what can start
    # markup is escaped (`_` only at a word's edge, list and heading markers only at the start).
    value = " ".join(str(text).split())
    escaped = re.sub(r"[\\`*\[\]<>!~$|{}&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", lambda m: "\\" + m.group(), value)
    return re.sub(r"^(\d*)([#>+=.)-])", r"\1\\\2", escaped)


def code_span(text: object) -> str:
    """Text in an inline code span that no backtick inside can close early."""
    value = " ".join(str(text).split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", value)), default=0) + 1)
    padding = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{padding}{value}{padding}{fence}"


@functools.lru_cache(maxsize=256)
def safe_markdown(text: str, allowed_image_hosts: frozenset[str] = frozenset()) -> str:
    """Markdown from outside, rewritten so that it loads nothing and every link shows its host (cached)."""
    return rewrite_markdown(text, allowed_image_hosts)


def rewrite_markdown(text: str, allowed_image_hosts: frozenset[str] = frozenset()) -> str:
    """safe_markdown without the cache, for text seen once (a streaming answer's tail)."""
    if not text:
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    blocks = BLOCKS.parse(text)
    code = {n for t in blocks if t.type == "fence" and t.map for n in range(*t.map)}
    scanner = Scanner(scan.definitions(text), allowed_image_hosts, budget=2 * len(text) + 20 * scan.LIMIT)
    out: list[str] = []
    number = 0
    try:
        for start, end in _chunks(blocks, len(lines), code):
            out.extend(lines[number:start])  # fenced code, untouched
            out.append(scanner.rewrite("\n".join(lines[start:end])))
            number = end
    except TooHard:
        return _escape_outside(lines, code)
    out.extend(lines[number:])
    rewritten = "\n".join(out)
    if is_safe(rewritten, allowed_image_hosts):
        return rewritten
    return _escape_outside(lines, code)


def _chunks(blocks: list[Token], count: int, code: set[int]) -> list[tuple[int, int]]:
    """Line ranges to rewrite one at a time: each block's inline text, and every other line alone."""
    spans = sorted({tuple(t.map) for t in blocks if t.type == "inline" and t.map})
    chunks: list[tuple[int, int]] = []
    number = 0
    for start, end in spans:
        if start < number:
            continue
        chunks.extend((n, n + 1) for n in range(number, start) if n not in code)
        chunks.append((start, end))
        number = end
    chunks.extend((n, n + 1) for n in range(number, count) if n not in code)
    return chunks


def _escape_outside(lines: list[str], code: set[int]) -> str:
    """The fallback: fences kept, every other line with its brackets, bangs and tags made literal."""
    return "\n".join(line if n in code else re.sub(r"([\\!\[\]<])", r"\\\1", line) for n, line in enumerate(lines))
