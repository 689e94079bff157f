"""PURE: an eval run's results as tables: per row × target, a summary per target, two runs compared, exports."""

from __future__ import annotations

import csv
import difflib
import io
import json
from collections.abc import Iterable
from typing import Any

from lib.store.evals import RESULT_FIELDS


def _percentile(values: list[int], share: float) -> int | None:
    """The nearest-rank percentile of `values` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def summary(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per target: rows, passed, pass rate, mean score, total cost, p50 and p95 latency (ms), errors."""
    out = []
    for target in sorted({r["profile"] for r in results}):
        mine = [r for r in results if r["profile"] == target]
        scores = [r["score"] for r in mine if r["score"] is not None]
        latencies = [r["latency_ms"] for r in mine if r["latency_ms"] is not None]
        costs = [r["cost_usd"] for r in mine if r["cost_usd"] is not None]
        passed = sum(1 for r in mine if r["passed"])
        out.append(
            {
                "profile": target,
                "rows": len(mine),
                "passed": passed,
                "pass_rate": passed / len(mine),
                "mean_score": sum(scores) / len(scores) if scores else None,
                "cost_usd": sum(costs) if costs else None,
                "p50_ms": _percentile(latencies, 0.5),
                "p95_ms": _percentile(latencies, 0.95),
                "errors": sum(1 for r in mine if r["status"] not in ("completed", "incomplete")),
            }
        )
    return out


def verdict_text(result: dict[str, Any]) -> str:
    """One cell's verdicts: ✅/❌ per grader."""
    return " ".join(f"{'✅' if v['passed'] else '❌'} {v['grader']}" for v in result["verdicts"]) or (
        result.get("error") or ""
    )


def table(results: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per row × target: input, output, verdicts, score, tokens, cost, latency."""
    inputs = {r["id"]: r for r in rows}
    return [
        {
            "row": r["row_id"],
            "input": inputs.get(r["row_id"], {}).get("input", "(row deleted)"),
            "profile": r["profile"],
            "passed": bool(r["passed"]),
            "score": r["score"],
            "verdicts": verdict_text(r),
            "output": r["output"],
            "reasoning": " · ".join(v["reasoning"] for v in r["verdicts"] if v.get("reasoning")),
            "input_tokens": r["input_tokens"],
            "output_tokens": r["output_tokens"],
            "cost_usd": r["cost_usd"],
            "latency_ms": r["latency_ms"],
            "status": r["status"],
        }
        for r in results
    ]


def diff(before: str, after: str) -> str:
    """A unified diff of two outputs, line by line (empty when equal)."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), "run A", "run B", lineterm="")
    return "\n".join(lines)


def compare(a: list[dict[str, Any]], b: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Row × target pairs of two runs side by side; those whose verdict changed first, then by row."""
    inputs = {r["id"]: r["input"] for r in rows}
    left = {(r["row_id"], r["profile"]): r for r in a}
    right = {(r["row_id"], r["profile"]): r for r in b}
    out = []
    for key in sorted(left.keys() | right.keys()):
        one, two = left.get(key), right.get(key)
        passed_a = bool(one["passed"]) if one else None
        passed_b = bool(two["passed"]) if two else None
        out.append(
            {
                "row": key[0],
                "profile": key[1],
                "input": inputs.get(key[0], "(row deleted)"),
                "changed": passed_a != passed_b,
                "passed_a": passed_a,
                "passed_b": passed_b,
                "score_a": one["score"] if one else None,
                "score_b": two["score"] if two else None,
                "output_a": one["output"] if one else "",
                "output_b": two["output"] if two else "",
                "diff": diff(one["output"] if one else "", two["output"] if two else ""),
            }
        )
    return sorted(out, key=lambda r: (not r["changed"], r["row"], r["profile"]))


def to_jsonl(results: Iterable[dict[str, Any]]) -> str:
    """Results as JSON Lines, verdicts (with a judge's reasoning) included."""
    keep = ("row_id", "profile", *RESULT_FIELDS)
    return "".join(json.dumps({k: r.get(k) for k in keep}, ensure_ascii=False, default=str) + "\n" for r in results)


def to_csv(lines: list[dict[str, Any]]) -> str:
    """The results table as CSV."""
    out = io.StringIO()
    if lines:
        writer = csv.DictWriter(out, fieldnames=list(lines[0]))
        writer.writeheader()
        writer.writerows(lines)
    return out.getvalue()
