"""The Evals page's Datasets tab, and History's "Add to dataset": rows edited, imported and exported."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from openai import OpenAI

from lib import eval_data, eval_sources
from lib.markup import plain
from lib.store import PREVIEW_CHARS, HistoryStore, ResponseFilter
from lib.store.evals import EvalStoreError

CHOSEN = "evals_dataset"  # id of the dataset open in the Datasets tab (plain key: outlives a page switch)
NEW = "➕ New dataset…"
MAX_FROM_HISTORY = 5_000  # rows taken from one History filter at once
ROW_COLUMNS = {
    "id": None,  # hidden: the row's identity across edits
    "input": st.column_config.TextColumn("Input (user message)", required=True, width="large"),
    "expected": st.column_config.TextColumn("Expected output", width="medium"),
    "notes": st.column_config.TextColumn("Reference notes", width="medium"),
    "source_response_id": st.column_config.TextColumn("From response", disabled=True),
}


def _label(datasets: list[dict[str, Any]]) -> dict[int, str]:
    return {d["id"]: f"{d['name']} ({d['rows']} rows)" for d in datasets}


def pick_dataset(store: HistoryStore, owner: str, *, key: str, allow_new: bool = False) -> int | str | None:
    """A selectbox of the owner's datasets (and "New dataset…"); the chosen id, NEW, or None."""
    datasets = store.evals.datasets(owner)
    labels = _label(datasets)
    options: list[int | str] = [*labels, *([NEW] if allow_new else [])]
    if not options:
        return None
    chosen = st.session_state.get(CHOSEN)
    index = options.index(chosen) if chosen in options else 0
    return st.selectbox(
        "Dataset",
        options,
        index=index,
        key=key,
        format_func=lambda o: labels.get(o, str(o)) if isinstance(o, int) else str(o),
    )


def _create(store: HistoryStore, owner: str, name: str) -> int | None:
    try:
        dataset = store.evals.create_dataset(owner, name)
    except EvalStoreError as error:
        st.error(str(error))
        return None
    st.session_state[CHOSEN] = dataset
    return dataset


def add_to_dataset(
    client: OpenAI, store: HistoryStore, owner: str, f: ResponseFilter, picked: list[dict[str, Any]], total: int
) -> None:
    """History's "Add to dataset": the selected rows, or everything the filter shows, into a new or existing set."""
    with st.expander("Add to dataset", icon=":material/playlist_add:"):
        scopes = {"selected": f"The {len(picked)} selected rows", "filter": f"All {total:,} rows the filter shows"}
        scope = st.radio(
            "Which responses",
            list(scopes),
            format_func=scopes.get,
            key="history_ds_scope",
            index=0 if picked else 1,
            horizontal=True,
        )
        target = pick_dataset(store, owner, key="history_ds_pick", allow_new=True) or NEW
        name = st.text_input("New dataset's name", key="history_ds_name") if target == NEW else ""
        if not st.button("Add to dataset", key="history_ds_add", icon=":material/add:", type="primary"):
            return
        source = picked if scope == "selected" else list(_limited(store.iter_responses(f), MAX_FROM_HISTORY))
        rows, cut = eval_sources.with_full_inputs(client, eval_data.from_responses(source))
        if not rows:
            st.warning("Nothing to add: select rows in the table (their prompts become the inputs).")
            return
        dataset = _create(store, owner, name) if target == NEW else int(target)
        if dataset is None:
            return
        added = store.evals.add_rows(owner, dataset, rows)
        st.success(f"Added {added} rows. Open **Evals** to add expected outputs and run them.", icon=":material/check:")
        if cut:
            st.info(
                f"{cut} long prompts are no longer on the API (or were past the first {eval_sources.MAX_FETCHED}):"
                f" they hold their first {PREVIEW_CHARS} characters, as History recorded them. Edit them on Evals."
            )


def _limited(rows: Any, limit: int) -> Any:
    for number, row in enumerate(rows):
        if number >= limit:
            return
        yield row


def datasets_tab(store: HistoryStore, owner: str) -> None:
    """List, create, edit (st.data_editor), import, export and delete the owner's datasets."""
    with st.popover("New dataset", icon=":material/add:"):
        name = st.text_input("Name", key="evals_new_name")
        if st.button("Create", key="evals_create", type="primary") and _create(store, owner, name) is not None:
            st.rerun()
    chosen = pick_dataset(store, owner, key="evals_pick")
    if chosen is None:
        st.info("No datasets yet. Create one here, or select answers in History and press **Add to dataset**.")
        return
    dataset = int(chosen)
    st.session_state[CHOSEN] = dataset
    rows = store.evals.rows(owner, dataset)
    frame = pd.DataFrame(rows, columns=["id", "input", "expected", "notes", "source_response_id"])
    edited = st.data_editor(
        frame,
        column_config=ROW_COLUMNS,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key=f"evals_rows_{dataset}_{len(rows)}",
    )
    if st.button("Save rows", key="evals_save", icon=":material/save:", type="primary"):
        count = store.evals.replace_rows(owner, dataset, edited.to_dict("records"))
        st.toast(f"Saved: {count} rows.")
        st.rerun()
    _import_export(store, owner, dataset, rows)


def _import_export(store: HistoryStore, owner: str, dataset: int, rows: list[dict[str, Any]]) -> None:
    name = (store.evals.dataset(owner, dataset) or {}).get("name", "dataset")
    left, right = st.columns(2)
    with left:
        upload = st.file_uploader("Import rows (JSONL or CSV)", type=["jsonl", "json", "csv"], key="evals_import")
        if upload is not None and st.button("Import", key="evals_import_go", icon=":material/upload:"):
            try:
                added = store.evals.add_rows(owner, dataset, eval_data.parse(upload.name, upload.getvalue()))
            except eval_data.ImportError_ as error:
                st.error(f"Not imported: {plain(str(error))}")
            else:
                st.toast(f"Imported {added} rows.")
                st.rerun()
    with right:
        st.download_button(
            "Export JSONL",
            eval_data.to_jsonl(rows),
            file_name=f"{name}.jsonl",
            on_click="ignore",
            mime="application/jsonl",
            icon=":material/download:",
            key="evals_export_jsonl",
        )
        st.download_button(
            "Export CSV",
            eval_data.to_csv(rows),
            file_name=f"{name}.csv",
            on_click="ignore",
            mime="text/csv",
            icon=":material/download:",
            key="evals_export_csv",
        )
        sure = st.checkbox("Also delete its runs and results", key=f"evals_delete_sure_{dataset}")
        if st.button("Delete dataset", key="evals_delete", icon=":material/delete:", disabled=not sure):
            store.evals.delete_dataset(owner, dataset)
            st.session_state.pop(CHOSEN, None)
            st.rerun()
