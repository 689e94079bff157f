"""Deterministic answers of the double for eval tests: a capitals quiz, two answer styles and a judge."""

from __future__ import annotations

import json
from typing import Any

from tests.fake_openai import Script, Text
from tests.fake_openai.items import last_user_text

CAPITALS = {"France": "Paris", "Italy": "Rome", "Spain": "Madrid", "Japan": "Tokyo", "Peru": "Lima", "Kenya": "Nairobi"}
TERSE = "Answer with the city only."  # instructions of the profile whose answers match exactly
WRONG = {"Japan"}  # the chatty style gets these wrong (Kyoto), so the judge has something to fail


def question(country: str) -> str:
    """A dataset input."""
    return f"What is the capital of {country}?"


def rows(countries: list[str] | None = None) -> list[dict[str, Any]]:
    """Dataset rows with the expected city."""
    return [{"input": question(c), "expected": CAPITALS[c]} for c in countries or list(CAPITALS)]


def answer(body: dict[str, Any]) -> Script | None:
    """The double's answer to a request: a judge's grade, or a capital in the profile's style."""
    text = last_user_text(body.get("input"))
    fmt = (body.get("text") or {}).get("format") or {}
    if fmt.get("name") == "grade":
        graded = text.split("## Answer to grade\n", 1)[1].split("\n\n## Rubric", 1)[0]
        expected = text.split("## Expected answer (reference)\n", 1)[1].split("\n\n", 1)[0]
        good = expected in graded
        return Text(
            json.dumps(
                {"score": 0.9 if good else 0.1, "reasoning": f"{'Names' if good else 'Does not name'} {expected}."}
            )
        )
    country = next((c for c in CAPITALS if c in text), None)
    if country is None:
        return None
    if TERSE in (body.get("instructions") or ""):
        return Text(CAPITALS[country])
    city = "Kyoto" if country in WRONG else CAPITALS[country]
    return Text(f"The capital of {country} is {city}.")
