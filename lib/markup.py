"""Model, user and web text made safe for st.markdown: no image loads by itself, no link hides its host.

`safe_markdown` rewrites images as links that show their host (unless the host is allowed), annotates
links whose text hides where they go, turns other schemes into text, and escapes HTML tags; code spans
and fences stay as written. The result is then parsed (markdown-it, CommonMark like Streamlit's renderer)
and checked; if anything unsafe survived (a construct the rewriter read differently), the text falls back
to escaping every bracket, so a parser disagreement costs formatting, never a request.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from lib import markup_scan as scan

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE = "🖼"
MAX_NESTING = 32  # links inside link text, as deep as CommonMark parsers follow them
CHECK_LIMIT = 20_000  # longest block of text parsed to check it; a longer one with links is escaped
PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
MARKUP = frozenset("\\`*_{}[]()#+-.!|<>~$&")  # what escape_markdown escapes
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*)>|<([\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*)>")
_TAG_START = re.compile(r"<[A-Za-z/!?]")
_UNSAFE_CHARS = re.compile(r"[\x00-\x20]")
_PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_BLOCKS = MarkdownIt("commonmark").enable(["table", "strikethrough"]).disable("inline")  # structure only: fast


def escape_markdown(text: str) -> str:
    """Text shown literally by st.markdown (and by Streamlit's math, colour and strikethrough syntax)."""
    return "".join("\\" + ch if ch in MARKUP else ch for ch in str(text))


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


def allowed_hosts(raw: str | Iterable[str] | None) -> frozenset[str]:
    """The image hosts an owner allows (a comma-separated setting), lower-cased."""
    names = raw.split(",") if isinstance(raw, str) else raw or ()
    return frozenset(target_of(f"https://{name.strip()}/").lower() for name in names if name.strip())


def _clean_url(url: str) -> str:
    """The URL as a browser reads it: no tabs or newlines inside, no spaces or controls around."""
    return re.sub(r"[\t\n\r]", "", url).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
                                               "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")


def scheme_of(url: str) -> str:
    """The URL's scheme, lower-cased ('' for a relative URL)."""
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", _clean_url(url))
    return match.group(1).lower() if match else ""


def target_of(url: str) -> str:
    """What a link's reader must see to know where it goes: the host, or a mailto address."""
    url = _clean_url(url)
    if scheme_of(url) == "mailto":
        return url.split(":", 1)[1].split("?", 1)[0]
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""
    try:  # shown as the browser will ask DNS: a look-alike Unicode host shows as xn--…
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _shows(text: str, target: str) -> bool:
    """True when the visible text is itself that host or a URL on it (so it cannot mislead)."""
    text = text.strip().strip("<>")
    if not text or not target or any(ch.isspace() for ch in text) or "xn--" in target:
        return False  # an international host is always spelled out: its letters can imitate another
    if text.lower() == target.lower():
        return True
    probe = text if "://" in text or text.lower().startswith("mailto:") else "//" + text
    shown, target = target_of("http:" + probe if probe.startswith("//") else probe).lower(), target.lower()
    # "britannica.com" for www.britannica.com (how web-search citations read): a subdomain is its domain's own.
    return shown == target or ("." in shown and target.endswith("." + shown))


def _destination(url: str) -> str:
    """A URL written so that no character in it can end or change the markdown around it."""
    return _UNSAFE_CHARS.sub(lambda m: f"%{ord(m.group()):02X}", _clean_url(url)).translate(
        {ord("<"): "%3C", ord(">"): "%3E", ord("("): "%28", ord(")"): "%29", ord("\\"): "%5C", ord("`"): "%60",
         ord("&"): "&amp;"})  # an entity in it would be decoded again


def safe_link(title: str, url: str) -> str:
    """A markdown link that shows where it goes; anything but http(s)/mailto (javascript:, data:) is text."""
    if scheme_of(url) not in LINK_SCHEMES or not target_of(url):
        return escape_markdown(title)
    target = target_of(url)
    shown = escape_markdown(title) if _shows(title, target) else f"{escape_markdown(title)} ({escape_markdown(target)})"
    return f"[{shown}]({_destination(url)})"


def image_link(alt: str, url: str, allowed: frozenset[str], *, inside_link: bool = False) -> str:
    """An image as a link with its host; shown as an image only from an allowed host."""
    alt = " ".join(alt.split())
    if scheme_of(url) in {"http", "https"} and target_of(url).lower() in allowed and not inside_link:
        return f"![{escape_markdown(alt)}]({_destination(url)})"
    words = f"{IMAGE} {alt}".strip() if alt else f"{IMAGE} image"
    if scheme_of(url) not in {"http", "https"} or not target_of(url):
        return escape_markdown(words)
    if inside_link:
        return escape_markdown(f"{words} ({target_of(url)})")
    return f"[{escape_markdown(words)} ({escape_markdown(target_of(url))})]({_destination(url)})"


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
    blocks = _BLOCKS.parse(text)
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


class TooHard(Exception):
    """The text costs too much to rewrite link by link (it is built to): escape it instead."""


def _chunks(blocks: list[Token], count: int, code: set[int]) -> list[tuple[int, int]]:
    """Line ranges to rewrite one at a time: each block's inline text, and every other line alone."""
    spans = sorted({tuple(t.map) for t in blocks if t.type == "inline" and t.map})
    chunks, number = [], 0
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


def is_safe(markdown: str, allowed_image_hosts: frozenset[str] = frozenset()) -> bool:
    """True when the markdown, as CommonMark reads it, loads no image and has no link hiding its target."""
    env: dict = {}
    for token in _BLOCKS.parse(markdown, env):
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
        if not (_shows(text, target) or text.endswith(f"({target})")):
            return False
    return True


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
    if _shows(scan.plain_words(text), target):
        return f"[{inner}]({_destination(url)})"
    return f"[{inner} ({escape_markdown(target)})]({_destination(url)})"


