"""PURE: graders of an eval: each turns one output (and its dataset row) into pass/fail and a score."""

from __future__ import annotations

import json
import math
import re
import re._parser as sre  # the stdlib's own regex parser: the guard reads the pattern's real structure
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import jsonschema

KINDS = ("exact", "contains", "regex", "json_schema", "numeric", "model")
LABELS = {
    "exact": "Exact match",
    "contains": "Contains",
    "regex": "Regex",
    "json_schema": "JSON Schema valid",
    "numeric": "Numeric tolerance",
    "model": "Model-graded rubric",
}
MAX_PATTERN = 500  # characters of a regex pattern
MAX_SEARCHED = 20_000  # characters of an output a regex searches: bounded work even for a slow pattern
_NUMBER = re.compile(r"[-+]?(?:\d[\d,]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_UNBOUNDED = sre.MAXREPEAT
JUDGE_SCHEMA = {
    "type": "object",
    "properties": {
        "score": {"type": "number", "description": "0 (fails the rubric) to 1 (fully meets it)"},
        "reasoning": {"type": "string", "description": "why, in a few sentences"},
    },
    "required": ["score", "reasoning"],
    "additionalProperties": False,
}
JUDGE_INSTRUCTIONS = (
    "You grade an AI assistant's answer against a rubric. Read the user's message, any reference given, the "
    "answer and the rubric. Give a score from 0 (fails the rubric) to 1 (fully meets it) and your reasoning."
)


class GraderError(ValueError):
    """A grader that cannot work as configured (a bad pattern, schema or number), said in one sentence."""


@dataclass(frozen=True)
class Grader:
    """One grader of a run: its kind and settings (`value`: pattern, schema, substring or expected override)."""

    kind: str
    value: str = ""
    tolerance: float = 0.0
    case_sensitive: bool = True
    judge_model: str = ""
    rubric: str = ""
    threshold: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise GraderError(f"Unknown grader {self.kind!r}: choose one of {', '.join(KINDS)}.")
        check(self)

    @property
    def name(self) -> str:
        """How results name it: the kind, and what it looks for when that is short."""
        detail = {"regex": self.value, "contains": self.value, "model": self.judge_model}.get(self.kind, "")
        return f"{self.kind}:{detail}" if detail and len(detail) <= 40 else self.kind

    def as_data(self) -> dict[str, Any]:
        """A plain dict (stored with a run)."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Grader:
        """The grader a run stored; unknown keys are ignored."""
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Verdict:
    """One grader's result on one output: pass/fail, a score in [0, 1], and why (for a judge)."""

    grader: str
    passed: bool
    score: float
    reasoning: str = ""


def check(grader: Grader) -> None:
    """Raise GraderError when a grader cannot work: a slow or broken pattern, a bad schema, a missing rubric."""
    if grader.kind == "regex":
        guard_pattern(grader.value)
    elif grader.kind == "json_schema" and grader.value.strip():
        try:
            jsonschema.validators.validator_for(_schema(grader.value)).check_schema(_schema(grader.value))
        except jsonschema.SchemaError as error:
            raise GraderError(f"That JSON Schema is not valid: {error.message}") from None
    elif grader.kind == "numeric" and (grader.tolerance < 0 or not math.isfinite(grader.tolerance)):
        raise GraderError("The tolerance must be a number of 0 or more.")
    elif grader.kind == "model":
        if not grader.rubric.strip():
            raise GraderError("A model-graded rubric needs the rubric text.")
        if not 0 <= grader.threshold <= 1:
            raise GraderError("The pass threshold must be between 0 and 1.")


def _schema(text: str) -> dict[str, Any]:
    try:
        schema = json.loads(text)
    except ValueError as error:
        raise GraderError(f"The JSON Schema is not JSON: {error}.") from None
    if not isinstance(schema, dict):
        raise GraderError("The JSON Schema must be an object.")
    return schema


def _walk(items: Any, under_repeat: bool) -> None:
    """Refuse nested unbounded repeats, and alternatives that may overlap under one: they backtrack exponentially."""
    for op, arg in items:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            unbounded = arg[1] == _UNBOUNDED or arg[1] > 100
            if unbounded and under_repeat:
                raise GraderError("That pattern nests repeats (like `(a+)+`), which can take forever; simplify it.")
            _walk(arg[2], under_repeat or unbounded)
        elif op == sre.SUBPATTERN:
            _walk(arg[3], under_repeat)
        elif op == sre.BRANCH:
            if under_repeat and not _distinct_literals(arg[1]):
                raise GraderError(
                    "That pattern repeats alternatives that can overlap (like `(a|aa)*`), which can "
                    "take forever; make them start differently or drop the repeat."
                )
            for branch in arg[1]:
                _walk(branch, under_repeat)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            _walk(arg[1], under_repeat)
        elif op == sre.GROUPREF_EXISTS:
            _walk(arg[1], under_repeat)
            if arg[2] is not None:
                _walk(arg[2], under_repeat)


def _distinct_literals(branches: list[Any]) -> bool:
    """Every branch starts with its own literal character, so at most one can match at a position."""
    firsts = [branch[0] for branch in branches if len(branch)]
    if len(firsts) != len(branches) or any(op != sre.LITERAL for op, _ in firsts):
        return False
    return len({arg for _, arg in firsts}) == len(firsts)


def guard_pattern(pattern: str) -> re.Pattern[str]:
    """The compiled pattern, or GraderError if it is empty, too long, broken or may backtrack without end."""
    if not pattern:
        raise GraderError("A regex grader needs a pattern.")
    if len(pattern) > MAX_PATTERN:
        raise GraderError(f"That pattern is longer than {MAX_PATTERN} characters.")
    try:
        compiled = re.compile(pattern)
        _walk(sre.parse(pattern), False)
    except re.error as error:
        raise GraderError(f"That pattern is not a valid regular expression: {error}.") from None
    return compiled


def first_number(text: str) -> float | None:
    """The first number written in `text` (thousands commas allowed), or None."""
    for match in _NUMBER.finditer(text):
        try:
            return float(match.group().replace(",", ""))
        except ValueError:
            continue
    return None


def _verdict(grader: Grader, passed: bool, score: float | None = None, reasoning: str = "") -> Verdict:
    return Verdict(grader.name, passed, float(passed) if score is None else score, reasoning)


def grade(
    grader: Grader,
    output: str,
    expected: str | None,
    judge: Callable[[Grader, str], tuple[float, str]] | None = None,
    judge_input: str = "",
) -> Verdict:
    """One grader's verdict on `output`; `judge(grader, prompt)` is asked for a model-graded rubric."""
    fold = (lambda s: s) if grader.case_sensitive else str.casefold
    want = grader.value if grader.kind in ("exact", "contains", "numeric") and grader.value else (expected or "")
    if grader.kind == "exact":
        return _verdict(grader, fold(output.strip()) == fold(want.strip()))
    if grader.kind == "contains":
        return _verdict(grader, bool(want) and fold(want) in fold(output))
    if grader.kind == "regex":
        flags = 0 if grader.case_sensitive else re.IGNORECASE
        pattern = re.compile(guard_pattern(grader.value).pattern, flags)
        return _verdict(grader, pattern.search(output[:MAX_SEARCHED]) is not None)
    if grader.kind == "json_schema":
        return _json_verdict(grader, output)
    if grader.kind == "numeric":
        return _numeric_verdict(grader, output, want)
    if judge is None:
        raise GraderError("A model-graded rubric needs a judge model to ask.")
    score, reasoning = judge(grader, judge_input)
    return _verdict(grader, score >= grader.threshold, score, reasoning)


def _json_verdict(grader: Grader, output: str) -> Verdict:
    try:
        value = json.loads(output)
    except ValueError:
        return _verdict(grader, False, reasoning="not JSON")
    if not grader.value.strip():
        return _verdict(grader, True, reasoning="valid JSON")
    schema = _schema(grader.value)
    errors = sorted(jsonschema.validators.validator_for(schema)(schema).iter_errors(value), key=str)
    return _verdict(grader, not errors, reasoning=errors[0].message if errors else "")


def _numeric_verdict(grader: Grader, output: str, want: str) -> Verdict:
    expected, got = first_number(want), first_number(output)
    if expected is None:
        return _verdict(grader, False, reasoning="no expected number")
    if got is None:
        return _verdict(grader, False, reasoning="no number in the output")
    return _verdict(grader, abs(got - expected) <= grader.tolerance, reasoning=f"{got:g} vs {expected:g}")


def judge_prompt(grader: Grader, user_input: str, expected: str | None, notes: str | None, output: str) -> str:
    """What the judge model is asked about one output."""
    parts = [f"## User's message\n{user_input}"]
    if expected:
        parts.append(f"## Expected answer (reference)\n{expected}")
    if notes:
        parts.append(f"## Reference notes\n{notes}")
    parts += [f"## Answer to grade\n{output}", f"## Rubric\n{grader.rubric}"]
    return "\n\n".join(parts)


def judge_request(grader: Grader, prompt: str) -> dict[str, Any]:
    """The responses.create arguments for the judge: structured output {score, reasoning}, not stored."""
    return {
        "model": grader.judge_model,
        "instructions": JUDGE_INSTRUCTIONS,
        "input": prompt,
        "store": False,
        "text": {"format": {"type": "json_schema", "name": "grade", "schema": JUDGE_SCHEMA, "strict": True}},
    }


def parse_judgement(text: str) -> tuple[float, str]:
    """The judge's {score, reasoning}; the score clamped to [0, 1]. GraderError when it is not that shape."""
    try:
        data = json.loads(text)
        score = float(data["score"])
        reasoning = str(data["reasoning"])
    except (ValueError, TypeError, KeyError):
        raise GraderError(f"The judge did not answer with a score and reasoning: {text[:200]!r}") from None
    if not math.isfinite(score):
        raise GraderError("The judge's score is not a number.")
    return min(1.0, max(0.0, score)), reasoning


def overall(verdicts: list[Verdict]) -> tuple[bool, float | None]:
    """A row passes when every grader passed; its score is the graders' mean (None with no grader)."""
    if not verdicts:
        return True, None
    return all(v.passed for v in verdicts), sum(v.score for v in verdicts) / len(verdicts)
