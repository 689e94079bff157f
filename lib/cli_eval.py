"""`python -m lib.cli eval DATASET`: a saved dataset run against profiles with graders, for CI."""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from lib.graders import KINDS, Grader, GraderError

EPILOG = """\
graders (repeat --grader; default exact):
  exact | exact:TEXT            the output equals the row's expected output (or TEXT), trimmed
  contains | contains:TEXT      the output contains the expected output (or TEXT)
  regex:PATTERN                 the pattern is found in the output
  json_schema | json_schema:@schema.json   the output is JSON (valid against the schema)
  numeric:TOLERANCE             the first number in the output is within TOLERANCE of the expected one
  model:JUDGE_MODEL:RUBRIC      a judge model scores the output against the rubric (pass at 0.5)

The dataset, the profiles and the results live in the app's history database (HISTORY_DATABASE_URL,
default .data/history.db here), under the owner the app gives this key in local mode; the run is saved
there and shows on the app's Evals page.

exit status: 0 when every profile's pass rate reaches --min-pass-rate; 1 when one does not (or the API
refuses); 2 for bad options, settings, an unknown dataset or profile."""


def build_parser() -> argparse.ArgumentParser:
    """The eval command line."""
    parser = argparse.ArgumentParser(
        prog="python -m lib.cli eval",
        epilog=EPILOG,
        description="Run an eval dataset against one or more profiles.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dataset", help="the dataset's name (as on the Evals page)")
    parser.add_argument(
        "--profile", action="append", default=[], help="a saved profile; repeat for several; none: the current settings"
    )
    parser.add_argument("--grader", action="append", default=[], help="see below; repeat for several")
    parser.add_argument("--min-pass-rate", type=float, default=1.0, metavar="X", help="0..1; default 1.0")
    parser.add_argument("--concurrency", type=int, default=4, help="rows in flight; default 4")
    parser.add_argument("--model", help="model for the current settings")
    return parser


def parse_grader(spec: str, cwd: Path) -> Grader:
    """A grader from its command-line form (see EPILOG)."""
    kind, _, rest = spec.partition(":")
    if kind not in KINDS:
        raise GraderError(f"Unknown grader {kind!r}: choose one of {', '.join(KINDS)}.")
    if kind == "numeric":
        try:
            return Grader(kind, tolerance=float(rest or 0))
        except ValueError:
            raise GraderError(f"numeric:TOLERANCE needs a number, got {rest!r}.") from None
    if kind == "model":
        judge, _, rubric = rest.partition(":")
        return Grader(kind, judge_model=judge, rubric=rubric)
    if kind == "json_schema" and rest.startswith("@"):
        rest = (cwd / rest[1:]).read_text(encoding="utf-8")
    return Grader(kind, value=rest)


def main(argv: list[str], *, environ: Mapping[str, str], cwd: Path, out: TextIO | None = None) -> int:
    """Run the eval; print a summary per profile; the exit status (see EPILOG)."""
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    from lib.cli import MISSING_KEY, load_settings

    try:
        settings = load_settings(argparse.Namespace(model=args.model, instructions=None, base_url=None), environ, cwd)
        checks = [parse_grader(g, cwd) for g in args.grader or ["exact"]]
    except (ValueError, OSError, tomllib.TOMLDecodeError) as error:
        print(f"Bad option or setting: {error}", file=sys.stderr)
        return 2
    if not settings.api_key:
        print(MISSING_KEY, file=sys.stderr)
        return 2
    if not 0 <= args.min_pass_rate <= 1:
        print("--min-pass-rate must be between 0 and 1.", file=sys.stderr)
        return 2
    from lib import eval_report
    from lib.client import build_client
    from lib.eval_run import CURRENT, EvalJob, target_for, with_template
    from lib.identity import local_owner
    from lib.profile_format import to_data
    from lib.prompt_templates import MissingVariables
    from lib.store import HistoryStore, default_url

    store = HistoryStore(settings.history_url or default_url(cwd), ttl_minutes=settings.ttl_minutes)
    owner = local_owner(settings.api_key)
    dataset = store.evals.dataset_id(owner, args.dataset)
    if dataset is None:
        print(f"No dataset named {args.dataset!r} for this key. Create it on the app's Evals page.", file=sys.stderr)
        return 2
    targets = []
    for name in args.profile or [CURRENT]:
        profile = None if name == CURRENT else store.profiles.get(owner, name)
        if name != CURRENT and profile is None:
            print(f"No profile named {name!r} for this key.", file=sys.stderr)
            return 2
        try:
            targets.append(with_template(target_for(settings, name, profile), store.prompts, owner))
        except (LookupError, MissingVariables) as problem:
            print(f"Profile {name!r}: {problem}", file=sys.stderr)
            return 2
    rows = store.evals.rows(owner, dataset)
    config = {
        "dataset": dataset,
        "concurrency": args.concurrency,
        "graders": [g.as_data() for g in checks],
        "targets": [{"name": t.name, "profile": to_data(t.settings), "wrap": t.wrap} for t in targets],
        "from": "cli",
    }
    run = store.evals.create_run(owner, dataset, f"cli: {len(targets)} × {len(rows)} rows", config)
    client = build_client(settings)
    job = EvalJob(store.evals, owner, run, rows, targets, checks, lambda _s: client, concurrency=args.concurrency)
    job.start().wait()
    summary = eval_report.summary(store.evals.results(owner, run))
    out.write(f"Run #{run} of {args.dataset!r}: {len(rows)} rows × {len(targets)} profiles\n")
    for line in summary:
        score = "–" if line["mean_score"] is None else f"{line['mean_score']:.2f}"
        cost = "–" if line["cost_usd"] is None else f"${line['cost_usd']:.4f}"
        out.write(
            f"  {line['profile']}: {line['passed']}/{line['rows']} passed ({line['pass_rate']:.0%}), "
            f"mean score {score}, cost {cost}, p50 {line['p50_ms']} ms, p95 {line['p95_ms']} ms, "
            f"errors {line['errors']}\n"
        )
    out.write(json.dumps({"run": run, "summary": summary}) + "\n")
    below = [s["profile"] for s in summary if s["pass_rate"] < args.min_pass_rate]
    if below or not summary:
        print(f"Below the pass rate {args.min_pass_rate:.0%}: {', '.join(below) or 'no results'}.", file=sys.stderr)
        return 1
    return 0
