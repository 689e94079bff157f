"""URLs as the app shows them and as the owner allows them: masking and allow-list prefixes."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

HIDDEN = "***"


def mask_url(url: str) -> str:
    """A URL fit to show: any user name, password, query string and fragment replaced by ***.

    Owners put tokens in all of these (`https://user:token@host/v1?key=…`); the host and path are
    enough to recognise an endpoint.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "set"  # unparseable: say that there is one, never what it is
    if "@" not in parts.netloc and not parts.query and not parts.fragment:
        return url if "@" not in url else "set"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    netloc = (f"{HIDDEN}@" if "@" in parts.netloc else "") + host + (f":{port}" if port else "")
    query, fragment = HIDDEN if parts.query else "", HIDDEN if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def _origin(url: str) -> tuple[str, str, int | None, str] | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return parts.scheme.lower(), parts.hostname.lower().rstrip("."), port, parts.path


def matches_prefix(url: str, prefixes: Iterable[str]) -> bool:
    """True when `url` is under one of the owner's ALLOWED_BASE_URLS prefixes.

    Compared as scheme, host and port exactly and the path by whole segments, so the prefix
    `https://llm.example.com/v1` allows neither `https://llm.example.com.evil.net/v1` nor `/v10`.
    """
    target = _origin(url)
    if target is None:
        return False
    for prefix in prefixes:
        allowed = _origin(prefix)
        if allowed is None or allowed[:3] != target[:3]:
            continue
        base = allowed[3].rstrip("/")
        if not base or target[3] == base or target[3].startswith(base + "/"):
            return True
    return False
