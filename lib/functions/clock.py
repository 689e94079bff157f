"""current_time: a pure example function over the IANA time zone database."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lib.registry import tool


@tool
def current_time(timezone: str) -> dict[str, Any]:
    """Get the current date and time in a time zone.

    Args:
        timezone: IANA time zone name, e.g. "Europe/Paris" or "UTC".
    """
    try:
        zone = ZoneInfo(timezone.strip())
    except (ZoneInfoNotFoundError, ValueError):
        # ZoneInfo raises ValueError for path-like keys and ZoneInfoNotFoundError (a KeyError,
        # whose message is just the quoted key) for unknown ones: one clear message for both.
        raise ValueError(f"unknown time zone {timezone!r}; use an IANA name like 'Europe/Paris'") from None
    now = datetime.now(zone)
    return {
        "timezone": zone.key,
        "iso": now.isoformat(timespec="seconds"),
        "date": now.strftime("%Y-%m-%d"),
        "time": now.strftime("%H:%M:%S"),
        "weekday": now.strftime("%A"),
        "utc_offset": now.strftime("%z"),
    }
