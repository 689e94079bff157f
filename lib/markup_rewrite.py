"""The rewriter: one block's inline text read left to right like CommonMark, its images and links made safe."""

from __future__ import annotations

import re

from lib import markup_scan as scan
from lib.markup_links import LINK_SCHEMES, destination, escape_markdown, image_link, scheme_of, shows, target_of

MAX_NESTING = 32  # links inside link text, as deep as CommonMark parsers follow them
PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*)>|<([\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*)>")
_TAG_START = re.compile(r"<[A-Za-z/!?]")


class TooHard(Exception):
    """The text costs too much to rewrite link by link (it is built to): escape it instead."""


class Scanner:
    """Rewrites one block's inline text left to right, the way CommonMark reads it."""

    def __init__(self, refs: dict[str, str], allowed: frozenset[str], budget: int) -> None:
        self.refs, self.allowed = refs, allowed
        self.budget = budget  # characters of link destinations to read; adversarial text runs out of it

    def rewrite(self, s: str, inside_link: bool = False, depth: int = 0) -> str:
        """The text with images, links, autolinks and tags made safe; code spans copied as they are."""
        if depth > MAX_NESTING:
            raise TooHard
        out: list[str] = []
        i, n = 0, len(s)
        if not inside_link and (definition := re.match(r" {0,3}\[(?!\^)(?:[^\[\]\\]|\\.)+\]:", s)):
            out.append(definition.group())  # a definition stays one (its destination is checked where used)
            i = definition.end()
        while i < n:
            ch = s[i]
            if ch == "\\" and i + 1 < n and s[i + 1] in PUNCTUATION:
                out.append(s[i : i + 2])
                i += 2
            elif ch == "`":
                end = scan.code_end(s, i)
                out.append(s[i:end])
                i = end
            elif ch == "<":
                i = self._angle(s, i, out)
            elif ch == "!" and s.startswith("[", i + 1):
                link = self._link(s, i + 1)
                if link is None:
                    out.append("\\!")  # never an image, whatever follows
                    i += 1
                else:
                    text, url, end = link
                    out.append(image_link(scan.plain_words(text), url, self.allowed, inside_link=inside_link))
                    i = end
            elif ch == "[":
                link = self._link(s, i)
                if link is None:
                    out.append("[")
                    i += 1
                else:
                    text, url, end = link
                    inner = self.rewrite(text, inside_link=True, depth=depth + 1)
                    out.append(inner if inside_link else _link_markdown(inner, text, url))
                    i = end
            else:
                out.append(ch)
                i += 1
        return "".join(out)

    def _angle(self, s: str, i: int, out: list[str]) -> int:
        """An autolink stays if its scheme is safe; any other tag-like `<` becomes text."""
        if match := _AUTOLINK.match(s, i):
            url = match.group(1) or f"mailto:{match.group(2)}"
            if scheme_of(url) in LINK_SCHEMES and target_of(url):
                out.append(match.group())
                return match.end()
        out.append("\\<" if _TAG_START.match(s, i) or match else "<")
        return i + 1

    def _link(self, s: str, i: int) -> tuple[str, str, int] | None:
        """(text, url, end) of a link starting at the `[` at i, or None when it is no link we can resolve."""
        close = scan.bracket_end(s, i)
        if close is None:
            return None
        text, after = s[i + 1 : close], close + 1
        if s.startswith("(", after):
            inline = scan.inline_destination(s, after)
            self.budget -= (inline[1] if inline else min(len(s), after + scan.LIMIT)) - after
            if self.budget < 0:
                raise TooHard
            if inline is not None:
                return text, inline[0], inline[1]
        label, end = text, after
        if s.startswith("[", after) and (ref_close := scan.bracket_end(s, after)) is not None:
            label, end = (s[after + 1 : ref_close] or text), ref_close + 1
        url = self.refs.get(scan.label(label))
        return (text, url, end) if url is not None else None


def _link_markdown(inner: str, text: str, url: str) -> str:
    """A rewritten link: as written when its text shows the target, with the target added when not."""
    target = target_of(url)
    if scheme_of(url) not in LINK_SCHEMES or not target:
        return inner
    if shows(scan.plain_words(text), target):
        return f"[{inner}]({destination(url)})"
    return f"[{inner} ({escape_markdown(target)})]({destination(url)})"
