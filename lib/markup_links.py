"""Links and images as markdown that shows where they go: schemes, hosts, escaped text, safe destinations."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE = "🖼"
MARKUP = frozenset("\\`*_{}[]()#+-.!|<>~$&")  # what escape_markdown escapes
_UNSAFE_CHARS = re.compile(r"[\x00-\x20]")


def escape_markdown(text: str) -> str:
    """Text shown literally by st.markdown (and by Streamlit's math, colour and strikethrough syntax)."""
    return "".join("\\" + ch if ch in MARKUP else ch for ch in str(text))


def allowed_hosts(raw: str | Iterable[str] | None) -> frozenset[str]:
    """The image hosts an owner allows (a comma-separated setting), lower-cased."""
    names = raw.split(",") if isinstance(raw, str) else raw or ()
    return frozenset(target_of(f"https://{name.strip()}/").lower() for name in names if name.strip())


def _clean_url(url: str) -> str:
    """The URL as a browser reads it: no tabs or newlines inside, no spaces or controls around."""
    return re.sub(r"[\t\n\r]", "", url).strip(
        "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
        "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "
    )


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


def shows(text: str, target: str) -> bool:
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


def destination(url: str) -> str:
    """A URL written so that no character in it can end or change the markdown around it."""
    return _UNSAFE_CHARS.sub(lambda m: f"%{ord(m.group()):02X}", _clean_url(url)).translate(
        {
            ord("<"): "%3C",
            ord(">"): "%3E",
            ord("("): "%28",
            ord(")"): "%29",
            ord("\\"): "%5C",
            ord("`"): "%60",
            ord("&"): "&amp;",
        }
    )  # an entity in it would be decoded again


def safe_link(title: str, url: str) -> str:
    """A markdown link that shows where it goes; anything but http(s)/mailto (javascript:, data:) is text."""
    if scheme_of(url) not in LINK_SCHEMES or not target_of(url):
        return escape_markdown(title)
    target = target_of(url)
    shown = escape_markdown(title) if shows(title, target) else f"{escape_markdown(title)} ({escape_markdown(target)})"
    return f"[{shown}]({destination(url)})"


def image_link(alt: str, url: str, allowed: frozenset[str], *, inside_link: bool = False) -> str:
    """An image as a link with its host; shown as an image only from an allowed host."""
    alt = " ".join(alt.split())
    if scheme_of(url) in {"http", "https"} and target_of(url).lower() in allowed and not inside_link:
        return f"![{escape_markdown(alt)}]({destination(url)})"
    words = f"{IMAGE} {alt}".strip() if alt else f"{IMAGE} image"
    if scheme_of(url) not in {"http", "https"} or not target_of(url):
        return escape_markdown(words)
    if inside_link:
        return escape_markdown(f"{words} ({target_of(url)})")
    return f"[{escape_markdown(words)} ({escape_markdown(target_of(url))})]({destination(url)})"
