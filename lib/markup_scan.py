"""CommonMark's inline syntax, read by hand: code spans, brackets, destinations, reference definitions."""

from __future__ import annotations

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


def code_end(s: str, i: int) -> int:
    """The end of the code span opening at i, or of its backtick run when nothing closes it."""
    run = len(s) - i - len(s[i:].lstrip("`"))
    j = i + run
    while (j := s.find("`", j)) != -1:
        length = len(s[j:]) - len(s[j:].lstrip("`"))
        if length == run:
            return j + length
        j += length
    return i + run


def bracket_end(s: str, i: int) -> int | None:
    """Index of the `]` that closes the `[` at i (nesting, escapes and code spans respected)."""
    depth, j = 0, i
    while j < len(s):
        ch = s[j]
        if ch == "\\":
            j += 2
            continue
        if ch == "`":
            j = code_end(s, j)
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return None


def inline_destination(s: str, i: int) -> tuple[str, int] | None:
    """(url, end) of `(dest "title")` starting at the `(` at i, or None."""
    j = i + 1
    while j < len(s) and s[j] in " \t\n":
        j += 1
    if s.startswith("<", j):
        close = s.find(">", j)
        if close == -1 or "\n" in s[j:close]:
            return None
        url, j = s[j + 1 : close], close + 1
    else:
        start, depth = j, 0
        while j < len(s) and not s[j].isspace() and ord(s[j]) > 0x1F:
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
        closer = {"\"": "\"", "'": "'", "(": ")"}[s[j]]
        j += 1
        while j < len(s) and s[j] != closer:
            j += 2 if s[j] == "\\" else 1
        j += 1
        while j < len(s) and s[j] in " \t\n":
            j += 1
    if j < len(s) and s[j] == ")":
        return unescape(url), j + 1
    return None
