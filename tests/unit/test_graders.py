"""Graders: each turns an output into pass/fail and a score; bad settings are refused in one sentence."""

from __future__ import annotations

import json
import time

import pytest

from lib.graders import (
    Grader,
    GraderError,
    Verdict,
    first_number,
    grade,
    guard_pattern,
    judge_prompt,
    judge_request,
    overall,
    parse_judgement,
)


def test_exact_match_strips_and_may_ignore_case() -> None:
    assert grade(Grader("exact"), "  Paris\n", "Paris") == Verdict("exact", True, 1.0)
    assert grade(Grader("exact"), "paris", "Paris") == Verdict("exact", False, 0.0)
    assert grade(Grader("exact", case_sensitive=False), "paris", "Paris").passed
    assert not grade(Grader("exact"), "Paris", None).passed  # nothing expected: nothing matches
    assert grade(Grader("exact", value="Rome"), "Rome", "Paris").passed  # the grader's own value wins


def test_contains() -> None:
    assert grade(Grader("contains", value="42"), "The answer is 42.", None).passed
    assert not grade(Grader("contains", value="43"), "The answer is 42.", None).passed
    assert grade(Grader("contains"), "It is Paris, France", "Paris").passed
    assert not grade(Grader("contains"), "anything", "").passed  # an empty needle proves nothing


def test_regex_passes_and_fails() -> None:
    assert grade(Grader("regex", value=r"\b\d{4}-\d{2}-\d{2}\b"), "on 2026-11-30.", None).passed
    assert not grade(Grader("regex", value=r"^\d+$"), "12a", None).passed
    assert grade(Grader("regex", value="PARIS", case_sensitive=False), "paris", None).passed
    assert grade(Grader("regex", value="(?:ab|cd)+"), "xxabcd", None).passed  # distinct alternatives are fine


@pytest.mark.parametrize("pattern", [r"(a+)+b", r"(a*)*$", r"(\w+\s?)+$", r"(a|aa)*b", r"((ab)*c)+", r"(.*a){200}"])
def test_regex_refuses_catastrophic_patterns(pattern: str) -> None:
    with pytest.raises(GraderError, match="forever"):
        Grader("regex", value=pattern)


def test_regex_refuses_broken_and_huge_patterns() -> None:
    with pytest.raises(GraderError, match="not a valid regular expression"):
        Grader("regex", value="(unclosed")
    with pytest.raises(GraderError, match="longer than 500"):
        guard_pattern("a" * 501)
    with pytest.raises(GraderError, match="needs a pattern"):
        Grader("regex")


def test_regex_on_a_huge_output_stays_fast() -> None:
    started = time.monotonic()
    verdict = grade(Grader("regex", value=r"a.*b.*c.*d$"), "a" * 5_000_000, None)
    assert not verdict.passed and time.monotonic() - started < 2


def test_json_schema() -> None:
    schema = json.dumps({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]})
    assert grade(Grader("json_schema", value=schema), '{"n": 3}', None).passed
    bad = grade(Grader("json_schema", value=schema), '{"n": "3"}', None)
    assert not bad.passed and "is not of type 'integer'" in bad.reasoning
    not_json = grade(Grader("json_schema", value=schema), "not json", None)
    assert not_json == Verdict("json_schema", False, 0.0, "not JSON")
    assert grade(Grader("json_schema"), "[1]", None).passed  # no schema: any JSON
    with pytest.raises(GraderError, match="not valid"):
        Grader("json_schema", value='{"type": "nonsense"}')
    with pytest.raises(GraderError, match="not JSON"):
        Grader("json_schema", value="{")


def test_numeric_tolerance() -> None:
    assert first_number("about 1,234.5 km") == 1234.5 and first_number("none") is None
    assert grade(Grader("numeric", tolerance=0.01), "It is 3.14159.", "3.14").passed
    miss = grade(Grader("numeric", tolerance=0.001), "It is 3.14159.", "3.14")
    assert not miss.passed and miss.reasoning == "3.14159 vs 3.14"
    assert grade(Grader("numeric"), "no digits", "3").reasoning == "no number in the output"
    assert grade(Grader("numeric", value="-2e3"), "-2000", None).passed
    with pytest.raises(GraderError, match="tolerance"):
        Grader("numeric", tolerance=-1)


def test_model_graded_asks_the_judge_and_keeps_its_reasoning() -> None:
    asked: list[str] = []

    def judge(grader: Grader, prompt: str) -> tuple[float, str]:
        asked.append(prompt)
        return 0.7, "mostly right"

    rubric = Grader("model", judge_model="gpt-5-mini", rubric="Names the capital.", threshold=0.8)
    prompt = judge_prompt(rubric, "Capital of France?", "Paris", "city, not country", "Lyon")
    verdict = grade(rubric, "Lyon", "Paris", judge, prompt)
    assert verdict == Verdict("model:gpt-5-mini", False, 0.7, "mostly right")
    assert asked == [prompt]
    assert "## Expected answer (reference)\nParis" in prompt and "## Rubric\nNames the capital." in prompt
    request = judge_request(rubric, prompt)
    assert request["text"]["format"]["schema"]["required"] == ["score", "reasoning"] and request["store"] is False
    with pytest.raises(GraderError, match="rubric text"):
        Grader("model", judge_model="m")
    with pytest.raises(GraderError, match="threshold"):
        Grader("model", judge_model="m", rubric="r", threshold=2)


def test_parse_judgement() -> None:
    assert parse_judgement('{"score": 1.4, "reasoning": "ok"}') == (1.0, "ok")
    with pytest.raises(GraderError, match="score and reasoning"):
        parse_judgement("I think 0.5")
    with pytest.raises(GraderError, match="not a number"):
        parse_judgement('{"score": NaN, "reasoning": "?"}')


def test_overall_and_round_trip() -> None:
    assert overall([Verdict("a", True, 1.0), Verdict("b", False, 0.5)]) == (False, 0.75)
    assert overall([]) == (True, None)
    g = Grader("model", judge_model="m", rubric="r", threshold=0.6)
    assert Grader.from_data({**g.as_data(), "extra": 1}) == g
    with pytest.raises(GraderError, match="Unknown grader"):
        Grader("fuzzy")
