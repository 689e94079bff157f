"""The Evals page's Runs tab: choose targets and graders, start, follow, stop and resume a run, read its results."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from lib import eval_report
from lib.eval_cost import Admission, estimate
from lib.eval_run import CURRENT, DEFAULT_CONCURRENCY, MAX_CONCURRENCY, EvalJob, Target, target_for, with_template
from lib.graders import KINDS, LABELS, Grader, GraderError
from lib.markup import plain
from lib.profile_format import to_data
from lib.prompt_templates import MissingVariables
from lib.settings import Settings
from lib.store import HistoryStore
from lib.ui import budget, context, evals_datasets, state
from lib.ui.session import alive_check

JOB = "evals_job"  # the EvalJob this session started (plain key: the run goes on across page switches)
CHOSEN_RUN = "evals_run"  # id of the run whose results are shown


def _graders() -> tuple[list[Grader], list[str]]:
    """The graders chosen in the form, and what is wrong with any of them (each said in one sentence)."""
    chosen = st.multiselect("Graders", KINDS, default=["exact"], format_func=lambda k: LABELS[k], key="evals_graders")
    made, problems = [], []
    for kind in chosen:
        with st.container(border=True):
            st.caption(LABELS[kind])
            opts: dict[str, Any] = {}
            if kind in ("contains", "regex", "json_schema", "exact", "numeric"):
                hint = {
                    "regex": "Pattern",
                    "json_schema": "JSON Schema (empty: any JSON)",
                    "contains": "Text (empty: the expected output)",
                }.get(kind, "Value (empty: the expected output)")
                opts["value"] = st.text_input(hint, key=f"evals_g_{kind}_value")
            if kind == "numeric":
                opts["tolerance"] = st.number_input("Tolerance", min_value=0.0, value=0.0, key="evals_g_tol")
            if kind == "model":
                opts["judge_model"] = st.text_input("Judge model", value="gpt-5-mini", key="evals_g_judge")
                opts["rubric"] = st.text_area(
                    "Rubric", key="evals_g_rubric", placeholder="e.g. Answers the question correctly and briefly."
                )
                opts["threshold"] = st.slider("Pass threshold", 0.0, 1.0, 0.5, key="evals_g_threshold")
            try:
                made.append(Grader(kind, **opts))
            except GraderError as error:
                problems.append(f"{LABELS[kind]}: {error}")
    return made, problems


def _targets(store: HistoryStore, owner: str, current: Settings) -> list[Target]:
    names = store.profiles.names(owner)
    chosen = st.multiselect("Profiles", [CURRENT, *names], default=[CURRENT], key="evals_targets")
    targets = [
        target_for(current, name, None if name == CURRENT else store.profiles.get(owner, name)) for name in chosen
    ]
    return [t for t in (_with_template(store, owner, t) for t in targets) if t is not None]


def _with_template(store: HistoryStore, owner: str, target: Target) -> Target | None:
    """The target with its profile's prompt template filled in (lib.eval_run.with_template); None, said on the
    page, when it cannot be."""
    try:
        return with_template(target, store.prompts, owner)
    except LookupError as missing:
        st.error(f"{plain(target.name)}: {plain(str(missing))}.")
    except MissingVariables as missing:
        st.error(f"{plain(target.name)}: give {', '.join(missing.names)} a default value in the template to run it.")
    return None


def _admission(current: Settings) -> Admission | None:
    if not budget.applies(current):
        return None
    return Admission(state.history(current).spend, budget.identity(context.with_settings(current)), budget.config())


def start(
    current: Settings,
    store: HistoryStore,
    owner: str,
    dataset: int,
    targets: list[Target],
    checks: list[Grader],
    concurrency: int,
    *,
    run_id: int | None = None,
) -> None:
    """Estimate, check the cap, create (or resume) the run and start its job."""
    rows = store.evals.rows(owner, dataset)
    client = state.client(current)  # a profile never changes the endpoint: one client serves every target
    targets = [replace(t, settings=budget.limited(t.settings)) for t in targets]
    guess = estimate(lambda _s: client, rows, targets, checks)
    admission = _admission(current)
    if admission is not None and (refused := admission.refusal(current, guess.usd)):
        st.error(refused)
        return
    done: set[tuple[int, str]] = set()
    if run_id is None:
        config = {
            "dataset": dataset,
            "concurrency": concurrency,
            "graders": [g.as_data() for g in checks],
            "targets": [
                # Every target's settings as they were (current ones too): a resumed run sends the same requests.
                {"name": t.name, "profile": to_data(t.settings), "wrap": t.wrap}
                for t in targets
            ],
        }
        run_id = store.evals.create_run(owner, dataset, f"{len(targets)} × {len(rows)} rows", config)
    else:
        done = {(r["row_id"], r["profile"]) for r in store.evals.results(owner, run_id)}
        store.evals.set_run_status(owner, run_id, "running")
    st.session_state[JOB] = EvalJob(
        store.evals,
        owner,
        run_id,
        rows,
        targets,
        checks,
        lambda _s: client,
        concurrency=concurrency,
        done=done,
        admission=admission,
        alive=alive_check(),
    ).start()
    st.session_state[CHOSEN_RUN] = run_id
    st.session_state["evals_estimate"] = guess


def resume(current: Settings, store: HistoryStore, owner: str, run: dict[str, Any]) -> None:
    """Start the missing rows of a stopped run with its stored targets and graders."""
    config = run["config"]
    targets = [
        replace(target_for(current, t["name"], t["profile"]), wrap=t.get("wrap", "")) for t in config.get("targets", [])
    ]
    checks = [Grader.from_data(g) for g in config.get("graders", [])]
    start(
        current,
        store,
        owner,
        run["dataset_id"],
        targets,
        checks,
        config.get("concurrency", DEFAULT_CONCURRENCY),
        run_id=run["id"],
    )


def runs_tab(current: Settings, store: HistoryStore, owner: str) -> None:
    """A new run's form, the running job, and the results of the chosen run."""
    job: EvalJob | None = st.session_state.get(JOB)
    if job is None or job.done:
        _new_run(current, store, owner)
    progress(st.session_state.get(JOB))  # the job just started, if Start was pressed
    _results(current, store, owner)


def _new_run(current: Settings, store: HistoryStore, owner: str) -> None:
    dataset = evals_datasets.pick_dataset(store, owner, key="evals_run_dataset")
    if dataset is None:
        st.info("Create a dataset first (Datasets tab).")
        return
    targets = _targets(store, owner, current)
    checks, problems = _graders()
    for problem in problems:
        st.error(problem)
    concurrency = st.number_input("Rows in flight", 1, MAX_CONCURRENCY, DEFAULT_CONCURRENCY, key="evals_concurrency")
    if st.button(
        "Start run",
        key="evals_start",
        type="primary",
        icon=":material/play_arrow:",
        disabled=not targets or bool(problems),
    ):
        start(current, store, owner, int(dataset), targets, checks, int(concurrency))


@st.fragment(run_every=0.5)
def _live(job: EvalJob) -> None:
    st.progress(job.finished / max(job.total, 1), text=f"{job.finished} of {job.total} done")
    counts = pd.Series(list(job.status.values())).value_counts().to_dict()
    st.caption(" · ".join(f"{state_}: {n}" for state_, n in sorted(counts.items())))
    rows = [
        {"row": row, "profile": target, "status": status}
        for (row, target), status in list(job.status.items())
        if status != "done"
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, height=200, key="evals_live_rows")
    if job.done:
        st.rerun()


def progress(job: EvalJob | None) -> None:
    """The running job: progress, per-row status, Stop; once done, what it said."""
    if job is None:
        return
    if guess := st.session_state.get("evals_estimate"):
        usd = "unpriced model" if guess.usd is None else f"≈ ${guess.usd:,.4f}"
        st.caption(f"{usd} · {guess.input_tokens:,} input and {guess.output_tokens:,} output tokens. {guess.label}")
    if job.note:
        st.warning(job.note)
    if not job.done:
        _live(job)
        st.button("Stop run", key="evals_stop", icon=":material/stop_circle:", on_click=job.stop)


def _results(current: Settings, store: HistoryStore, owner: str) -> None:
    runs = store.evals.runs(owner)
    if not runs:
        return
    labels = {r["id"]: f"#{r['id']} {r['dataset']} · {r['name']} · {r['status']}" for r in runs}
    ids = list(labels)
    chosen = st.session_state.get(CHOSEN_RUN)
    run_id = st.selectbox(
        "Results of run",
        ids,
        index=ids.index(chosen) if chosen in ids else 0,
        format_func=lambda i: labels[i],
        key="evals_result_run",
    )
    st.session_state[CHOSEN_RUN] = run_id
    run = store.evals.run(owner, run_id) if run_id is not None else None
    if run is None:
        return
    results = store.evals.results(owner, run["id"])
    job: EvalJob | None = st.session_state.get(JOB)
    idle = job is None or job.done
    if run["status"] != "done" and idle and st.button("Resume run", key="evals_resume", icon=":material/replay:"):
        resume(current, store, owner, run)
        st.rerun()
    st.dataframe(
        pd.DataFrame(eval_report.summary(results)),
        hide_index=True,
        key="evals_summary",
        column_config={
            "profile": "Profile",
            "rows": "Rows",
            "passed": "Passed",
            "errors": "Errors",
            "pass_rate": st.column_config.NumberColumn("Pass rate", format="percent"),
            "mean_score": st.column_config.NumberColumn("Mean score", format="%.2f"),
            "cost_usd": st.column_config.NumberColumn("Cost", format="$%.4f"),
            "p50_ms": st.column_config.NumberColumn("p50 latency", format="%d ms"),
            "p95_ms": st.column_config.NumberColumn("p95 latency", format="%d ms"),
        },
    )
    lines = eval_report.table(results, store.evals.rows(owner, run["dataset_id"]))
    st.dataframe(pd.DataFrame(lines), hide_index=True, key="evals_results", width="stretch")
    buttons = st.container(horizontal=True)
    buttons.download_button(
        "Export JSONL",
        eval_report.to_jsonl(results),
        file_name=f"run-{run_id}.jsonl",
        on_click="ignore",
        icon=":material/download:",
        key="evals_run_jsonl",
    )
    buttons.download_button(
        "Export CSV",
        eval_report.to_csv(lines),
        file_name=f"run-{run_id}.csv",
        on_click="ignore",
        icon=":material/download:",
        key="evals_run_csv",
    )
