"""CommonMark's inline syntax, read by hand: code spans, brackets, destinations, reference definitions."""

from __future__ import annotations

import bisect
import functools
import html
import re

# A link reference definition `[label]: dest` (footnotes `[^1]:` are content, not definitions).
_DEFINITION = re.compile(r"^ {0,3}\[(?!\^)((?:[^\[\]\\]|\\.){1,999})\]:[ \t]*\n?[ \t]*(<[^<>\n]*>|\S+)", re.M)


def label(text: str) -> str:
    """A reference label normalised as CommonMark matches them."""
    return " ".join(text.split()).casefold()


def definitions(text: str) -> dict[str, str]:
    """Link reference definitions in the text: label -> destination (the first one wins)."""
    found: dict[str, str] = {}
    for name, dest in _DEFINITION.findall(text):
        found.setdefault(label(name), unescape(dest[1:-1] if dest.startswith("<") else dest))
    return found


def unescape(text: str) -> str:
    """Backslash escapes and entities resolved, as CommonMark does in destinations."""
    return html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text))


def plain_words(text: str) -> str:
    """The plain words of link or image text (markup characters dropped)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])|[`*_~]|!?\[|\]\([^)]*\)|\]", r"\1", text).strip()


_RUN = re.compile(r"`+")
_BLANKS = re.compile(r"[ \t\n]*")
LIMIT = 2048  # longest destination or title read by hand; a longer one is left to the check (and its fallback)


@functools.lru_cache(maxsize=64)
def _runs(s: str) -> dict[int, list[int]]:
    """Start of every maximal backtick run in s, by run length (code spans close on an equal run)."""
    runs: dict[int, list[int]] = {}
    for match in _RUN.finditer(s):
        runs.setdefault(len(match.group()), []).append(match.start())
    return runs


def code_end(s: str, i: int) -> int:
    """The end of the code span opening at i, or of its backtick run when nothing closes it."""
    run = _RUN.match(s, i).end() - i  # type: ignore[union-attr]  # s[i] is a backtick
    starts = _runs(s).get(run, [])
    later = bisect.bisect_left(starts, i + run)
    return starts[later] + run if later < len(starts) else i + run


@functools.lru_cache(maxsize=64)
def _brackets(s: str) -> dict[int, int]:
    """Each `[` in s mapped to the `]` that closes it (escapes and code spans respected), in one pass."""
    matched: dict[int, int] = {}
    opened: list[int] = []
    j = 0
    while j < len(s):
        ch = s[j]
        if ch == "\\":
            j += 2
            continue
        if ch == "`":
            j = code_end(s, j)
            continue
        if ch == "[":
            opened.append(j)
        elif ch == "]" and opened:
            matched[opened.pop()] = j
        j += 1
    return matched


def bracket_end(s: str, i: int) -> int | None:
    """Index of the `]` that closes the `[` at i, or None."""
    return _brackets(s).get(i)


def inline_destination(s: str, i: int) -> tuple[str, int] | None:
    """(url, end) of `(dest "title")` starting at the `(` at i, or None."""
    j = _BLANKS.match(s, i + 1).end()  # type: ignore[union-attr]  # matches the empty string too
    if s.startswith("<", j):
        close = s.find(">", j, j + LIMIT)
        if close == -1 or "\n" in s[j:close]:
            return None
        url, j = s[j + 1 : close], close + 1
    else:
        start, depth = j, 0
        while j < len(s) and j - start < LIMIT and not s[j].isspace() and ord(s[j]) > 0x1F:
            if s[j] == "\\":
                j += 1
            elif s[j] == "(":
                depth += 1
            elif s[j] == ")":
                if depth == 0:
                    break
                depth -= 1
            j += 1
        url = s[start:j]
    while j < len(s) and s[j] in " \t\n":
        j += 1
    if j < len(s) and s[j] in "\"'(":
        closer = {'"': '"', "'": "'", "(": ")"}[s[j]]
        j, opened = j + 1, j
        while j < len(s) and s[j] != closer and j - opened < LIMIT:
            j += 2 if s[j] == "\\" else 1
        if j >= len(s) or s[j] != closer:
            return None
        j += 1
        while j < len(s) and s[j] in " \t\n":
            j += 1
    if j < len(s) and s[j] == ")":
        return unescape(url), j + 1
    return None
