"""PURE: recorded responses -> CSV or JSON text, one chunk per row (no Streamlit, no store)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

# What an export holds, in this order. The owner (a user's email or a key's fingerprint) is
# left out: every row of one export has the same owner, and a file may travel further.
FIELDS = (
    "id",
    "created_at",
    "conversation_id",
    "previous_response_id",
    "model",
    "status",
    "input_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cost_usd",
    "latency_ms",
    "ttft_ms",
    "tools",
    "input_preview",
    "output_preview",
    "error",
)
# A spreadsheet runs a cell starting with one of these as a formula; the text comes from users
# and models, so such cells get a leading apostrophe (OWASP's advice for CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def export_row(row: dict[str, Any]) -> dict[str, Any]:
    """The exported fields of one store row, JSON-ready (dates as ISO 8601 text)."""
    return {name: _plain(row.get(name)) for name in FIELDS}


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ";".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The header, then one CSV line per row (RFC 4180 quoting, CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(FIELDS)
    yield take()
    for row in rows:
        plain = export_row(row)
        writer.writerow([_csv_cell(plain[name]) for name in FIELDS])
        yield take()


def json_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A JSON array with one object per row, written one row at a time."""
    yield "["
    first = True
    for row in rows:
        yield ("\n" if first else ",\n") + json.dumps(export_row(row), ensure_ascii=False)
        first = False
    yield "]\n" if first else "\n]\n"


def as_bytes(chunks: Iterable[str]) -> bytes:
    """UTF-8 bytes of the chunks (what a download hands to the browser)."""
    out = io.BytesIO()
    for chunk in chunks:
        out.write(chunk.encode("utf-8"))
    return out.getvalue()
