"""PURE: eval dataset rows to and from JSONL and CSV files, and rows made from History's responses."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from lib.store.evals import ROW_FIELDS, clean_row

MAX_IMPORT_BYTES = 5_000_000
ALIASES = {
    "prompt": "input",
    "question": "input",
    "ideal": "expected",
    "expected_output": "expected",
    "answer": "expected",
    "reference": "notes",
}  # names other eval tools use for the same fields


class ImportError_(ValueError):
    """A file that cannot be read as dataset rows, said with the line it failed on."""


def _row(data: Any, where: str) -> dict[str, Any] | None:
    if not isinstance(data, dict):
        raise ImportError_(f'{where}: each row must be an object with an "input".')
    named = {ALIASES.get(str(k).strip().lower(), str(k).strip().lower()): v for k, v in data.items()}
    if isinstance(named.get("input"), (list, dict)):  # chat-shaped input: keep the last user text
        named["input"] = _last_user_text(named["input"])
    return clean_row(named)


def _last_user_text(value: Any) -> str:
    messages = value if isinstance(value, list) else [value]
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role", "user") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def parse(name: str, raw: bytes) -> list[dict[str, Any]]:
    """Rows from a .jsonl or .csv file (input, expected, notes, source_response_id); rows without input skipped."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportError_(f"The file is larger than {MAX_IMPORT_BYTES // 1_000_000} MB.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportError_("The file is not UTF-8 text.") from None
    rows: list[dict[str, Any] | None] = []
    if name.lower().endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or not {
            ALIASES.get(f.strip().lower(), f.strip().lower()) for f in reader.fieldnames
        } & {"input"}:
            raise ImportError_('The CSV needs an "input" column (or "prompt").')
        rows = [_row(r, f"Line {n}") for n, r in enumerate(reader, start=2)]
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    rows.append(_row(json.loads(line), f"Line {number}"))
                except json.JSONDecodeError as error:
                    raise ImportError_(f"Line {number} is not JSON: {error.msg}.") from None
    return [r for r in rows if r]


def to_jsonl(rows: Iterable[dict[str, Any]]) -> str:
    """Rows as JSON Lines, one object per row with the dataset fields."""
    return "".join(json.dumps({k: r.get(k) for k in ROW_FIELDS}, ensure_ascii=False) + "\n" for r in rows)


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    """Rows as CSV with a header of the dataset fields."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ROW_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: r.get(k) or "" for k in ROW_FIELDS} for r in rows)
    return out.getvalue()


def from_responses(responses: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dataset rows from History's recorded responses: the prompt as input, the response as the source."""
    return [
        {"input": r["input_preview"], "expected": None, "notes": None, "source_response_id": r["id"]}
        for r in responses
        if (r.get("input_preview") or "").strip()
    ]
