"""The check after rewriting: markdown as CommonMark reads it loads no image and hides no link's host."""

from __future__ import annotations

import html

from markdown_it import MarkdownIt
from markdown_it.token import Token

from lib.markup_links import LINK_SCHEMES, scheme_of, shows, target_of

CHECK_LIMIT = 20_000  # longest block of text parsed to check it; a longer one with links is escaped
_PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
BLOCKS = MarkdownIt("commonmark").enable(["table", "strikethrough"]).disable("inline")  # structure only: fast


def is_safe(markdown: str, allowed_image_hosts: frozenset[str] = frozenset()) -> bool:
    """True when the markdown, as CommonMark reads it, loads no image and has no link hiding its target."""
    env: dict = {}
    for token in BLOCKS.parse(markdown, env):
        if token.type == "html_block":
            return False
        # Inline parsing is slow (and quadratic on brackets): only parse text that can hold an image or link.
        content = token.content if token.type == "inline" else ""
        if "<" in content or "](" in content or (env.get("references") and "[" in content):
            if len(content) > CHECK_LIMIT:
                return False  # too long to check quickly: the caller falls back to escaping
            children: list[Token] = []
            _PARSER.inline.parse(token.content, _PARSER, env, children)
            if not all(_token_safe(t, allowed_image_hosts) for t in children) or not _links_show_targets(children):
                return False
    return True


def _token_safe(token: Token, allowed: frozenset[str]) -> bool:
    if token.type == "image":
        src = str(token.attrs.get("src", ""))
        return scheme_of(src) in {"http", "https"} and target_of(src).lower() in allowed
    return token.type != "html_inline"


def _links_show_targets(children: list[Token]) -> bool:
    """Every link in one inline run goes to http(s)/mailto and its text shows where."""
    for number, token in enumerate(children):
        if token.type != "link_open":
            continue
        href = str(token.attrs.get("href", ""))
        target = target_of(html.unescape(href))
        if scheme_of(href) not in LINK_SCHEMES or not target:
            return False
        text = ""
        for inner in children[number + 1 :]:
            if inner.type == "link_close":
                break
            text += inner.content
        if not (shows(text, target) or text.endswith(f"({target})")):
            return False
    return True
