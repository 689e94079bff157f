"""The Evals page's Compare runs tab: two runs side by side, changed verdicts first, and one row's output diff."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib import eval_report
from lib.store import HistoryStore


def compare_tab(store: HistoryStore, owner: str) -> None:
    """Two runs side by side: rows whose verdict changed first, and the output diff of one row."""
    runs = store.evals.runs(owner)
    if len(runs) < 2:
        st.info("Compare needs two runs.")
        return
    labels = {r["id"]: f"#{r['id']} {r['dataset']} · {r['name']}" for r in runs}
    left, right = st.columns(2)
    a = left.selectbox("Run A", list(labels), index=1, format_func=lambda i: labels[i], key="evals_cmp_a") or 0
    b = right.selectbox("Run B", list(labels), index=0, format_func=lambda i: labels[i], key="evals_cmp_b") or 0
    run_a = store.evals.run(owner, a) or {}
    rows = store.evals.rows(owner, run_a.get("dataset_id", -1))
    pairs = eval_report.compare(store.evals.results(owner, a), store.evals.results(owner, b), rows)
    changed = sum(p["changed"] for p in pairs)
    st.caption(f"{changed} of {len(pairs)} verdicts changed")
    shown = [
        {
            k: p[k]
            for k in (
                "changed",
                "row",
                "profile",
                "input",
                "passed_a",
                "passed_b",
                "score_a",
                "score_b",
                "output_a",
                "output_b",
            )
        }
        for p in pairs
    ]
    st.dataframe(pd.DataFrame(shown), hide_index=True, width="stretch", key="evals_cmp_table")
    if pairs:
        pick = st.selectbox(
            "Output diff of",
            range(len(pairs)),
            key="evals_cmp_row",
            format_func=lambda i: f"row {pairs[i]['row']} · {pairs[i]['profile']}",
        )
        st.code(pairs[pick]["diff"] or "(same output)", language="diff")
