"""The Files page's pieces: its session keys, tables, the polled status table and "Use in chat"."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

import openai
import pandas as pd
import streamlit as st
from openai import OpenAI

from lib import files
from lib.errors import explain
from lib.files import FileRow, StoreRow
from lib.markup import plain
from lib.ownership import Owned, mine
from lib.settings import Settings
from lib.store import StoreError
from lib.ui import state, store_owners

# Page-local plain keys (prefixed): they outlive a visit to another page, widget values do not.
STORE = "files_store"  # id of the store picked on this page
PICK = "files_store_pick"  # the store picker's widget key
CHAT_STORES = "files_chat_stores"  # the "Use in chat" multiselect's widget key
ROWS = "files_rows"  # list[FileRow] of the last upload
ROWS_STORE = "files_rows_store"  # the store those rows go into
CONFIRM_DELETE = "files_confirm_delete"  # id of the store waiting for "Yes, delete"
UPLOADS = "files_uploads"  # counter in the uploader's key: a new key empties the widget after an upload
POLL_SECONDS = 1.0  # status refresh while indexing; the fragment stops polling when every row is final


def when(timestamp: int | None) -> str:
    """A Unix time as a local date and time, or 'never'."""
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M") if timestamp else "never"


def stores_frame(stores: Sequence[StoreRow]) -> pd.DataFrame:
    """The stores table."""
    return pd.DataFrame(
        [
            {
                "Name": store.label,
                "Files": store.files,
                "Size": files.human_bytes(store.usage_bytes),
                "Status": store.status,
                "Expires": when(store.expires_at) + (f" ({store.expires_days} d idle)" if store.expires_days else ""),
                "ID": store.id,
            }
            for store in stores
        ],
        columns=["Name", "Files", "Size", "Status", "Expires", "ID"],
    )


def files_frame(rows: Sequence[FileRow]) -> pd.DataFrame:
    """A table of files: name, size, status and why it failed (or that its name is not unique)."""

    def details(row: FileRow) -> str:
        notes = [row.error, "Same name as another file." if row.duplicate else ""]
        return " ".join(note for note in notes if note)

    return pd.DataFrame(
        [
            {"File": row.name, "Size": files.human_bytes(row.size), "Status": row.status, "Details": details(row)}
            for row in rows
        ],
        columns=["File", "Size", "Status", "Details"],
    )


def summary(rows: Sequence[FileRow]) -> str:
    """'2 completed · 1 failed'."""
    counts = Counter(row.status for row in rows)
    order = ("completed", "in_progress", "failed", "cancelled", files.REJECTED, files.PENDING)
    return " · ".join(f"{counts[status]} {status.replace('_', ' ')}" for status in order if counts[status])


def show_error(error: Exception, current: Settings) -> None:
    st.error(explain(error, model=current.model, endpoint=current.endpoint))


def pick_store(stores: Sequence[StoreRow]) -> StoreRow:
    """The store uploads go into; the choice is kept across pages."""
    ids = [store.id for store in stores]
    if st.session_state.get(PICK) not in ids:
        remembered = st.session_state.get(STORE)
        st.session_state[PICK] = remembered if remembered in ids else ids[0]
    chosen = st.selectbox(
        "Store",
        ids,
        key=PICK,
        format_func=lambda sid: next(f"{s.label} · {s.files} files" for s in stores if s.id == sid),
    )
    st.session_state[STORE] = chosen
    return next(store for store in stores if store.id == chosen)


def create_store_form(client: OpenAI, current: Settings) -> None:
    """Name and optional expiry of a new store."""
    with st.form("files_new_store", clear_on_submit=True, border=False):
        name = st.text_input("Name of the new store", placeholder="Product docs")
        days = st.number_input("Expire after days without use (0 = never)", min_value=0, max_value=365, value=0)
        if st.form_submit_button("Create store", icon=":material/add:"):
            if not name.strip():
                st.warning("Give the store a name.")
                return
            try:
                store = files.create_store(client, name.strip(), int(days) or None, store_owners.metadata(current))
            except openai.APIError as error:
                show_error(error, current)
                return
            try:
                store_owners.record(current, store.id)
            except StoreError as error:
                st.error(f"The store was created but could not be recorded as yours: {error}")
                return
            st.session_state[STORE] = store.id
            st.session_state.pop(PICK, None)
            state.flash(f"Created the store {plain(store.label)}.")
            st.rerun()


def manage_store(client: OpenAI, store: StoreRow, current: Settings) -> None:
    """Rename, and delete behind a confirm step."""
    name = st.text_input("Name", value=store.name, key=f"files_rename_{store.id}")
    rename, delete = st.columns(2)
    if rename.button("Rename", icon=":material/edit:", disabled=name.strip() in ("", store.name)):
        try:
            files.rename_store(client, store.id, name.strip())
        except openai.APIError as error:
            show_error(error, current)
            return
        state.flash(f"Renamed to {plain(name)}.")
        st.rerun()
    if delete.button("Delete store", icon=":material/delete:"):
        st.session_state[CONFIRM_DELETE] = store.id
    if st.session_state.get(CONFIRM_DELETE) != store.id:
        return
    st.warning(f"Delete the store **{plain(store.label)}** and its index? Its files stay in your Files storage.")
    yes, no = st.columns(2)
    if no.button("Cancel", key="files_cancel_delete"):
        st.session_state.pop(CONFIRM_DELETE, None)
        st.rerun()
    if yes.button("Yes, delete", type="primary", key="files_yes_delete"):
        st.session_state.pop(CONFIRM_DELETE, None)
        try:
            files.delete_store(client, store.id)
        except openai.APIError as error:
            show_error(error, current)
            return
        store_owners.forget(current, store.id)
        use_in_chat(current, [sid for sid in current.tools.vector_store_ids if sid != store.id])
        st.session_state.pop(STORE, None)
        state.flash(f"Deleted the store {plain(store.label)}.")
        st.rerun()


def uploader_key() -> str:
    return f"files_uploader_{st.session_state.get(UPLOADS, 0)}"


def upload(client: OpenAI, store: StoreRow, picked: Sequence, existing_names: Sequence[str]) -> None:
    """Upload and index the picked files with a progress bar; the rows go to the status table."""
    uploads = [files.Upload.of(item) for item in picked]
    bar = st.progress(0.0, text=f"Uploading {len(uploads)} files…")

    def progress(done: int, total: int, row: FileRow) -> None:
        bar.progress(done / total, text=f"Uploaded {done} of {total}: {row.name}")

    limit = files.max_upload_bytes(st.get_option("server.maxUploadSize"))
    rows = files.upload_files(
        client, store.id, uploads, max_bytes=limit, existing_names=existing_names, on_progress=progress
    )
    st.session_state[ROWS] = rows
    st.session_state[ROWS_STORE] = store.id
    st.session_state[UPLOADS] = st.session_state.get(UPLOADS, 0) + 1
    st.rerun()


def status_table(client: OpenAI, current: Settings, owned: Owned) -> None:
    """The last upload's rows, polled in a fragment only while something is in progress."""
    if not st.session_state.get(ROWS) or not mine(str(st.session_state.get(ROWS_STORE, "")), owned):
        return
    live = files.in_progress(st.session_state[ROWS])

    @st.fragment(run_every=POLL_SECONDS if live else None)
    def table() -> None:
        rows = st.session_state[ROWS]
        if files.in_progress(rows):
            try:
                rows = files.refresh(client, st.session_state[ROWS_STORE], rows)
            except openai.APIError as error:
                show_error(error, current)
            st.session_state[ROWS] = rows
        st.caption(f"Last upload: {summary(rows)}")
        st.dataframe(files_frame(rows), hide_index=True, width="stretch")
        if live and not files.in_progress(rows):
            st.rerun()  # a full run redraws the table without its timer and refreshes the store's counts

    table()


def store_files_section(client: OpenAI, store: StoreRow, rows: Sequence[FileRow], current: Settings) -> None:
    """The files of a store, and removing one (optionally deleting the file too)."""
    if not rows:
        st.caption("No files in this store yet.")
        return
    st.dataframe(files_frame(rows), hide_index=True, width="stretch")
    by_id = {row.file_id: row for row in rows}
    chosen = st.selectbox(
        "File", list(by_id), format_func=lambda fid: f"{by_id[fid].name} · {fid[-8:]}", key=f"files_pick_{store.id}"
    )
    also_delete = st.checkbox("Also delete the file itself", help="Otherwise it stays in your Files storage.")
    if st.button("Remove from store", icon=":material/remove_circle:"):
        try:
            files.remove_file(client, store.id, chosen, delete_file=also_delete)
        except openai.APIError as error:
            show_error(error, current)
            return
        state.flash(f"Removed {plain(by_id[chosen].name)}" + (" and deleted the file." if also_delete else "."))
        st.rerun()


def use_in_chat(current: Settings, store_ids: Sequence[str]) -> None:
    """File search in the chat searches these stores (off when there are none)."""
    state.session_settings()["tools"] = dataclasses.replace(
        current.tools, file_search=bool(store_ids), vector_store_ids=tuple(store_ids)
    )


def use_in_chat_section(stores: Sequence[StoreRow], picked: StoreRow, current: Settings) -> None:
    """Choose the stores file search uses in the chat."""
    labels = {store.id: store.label for store in stores}
    active = [sid for sid in current.tools.vector_store_ids if sid in labels] if current.tools.file_search else []
    if CHAT_STORES in st.session_state:
        st.session_state[CHAT_STORES] = [sid for sid in st.session_state[CHAT_STORES] if sid in labels]
    else:
        st.session_state[CHAT_STORES] = active or [picked.id]
    chosen = st.multiselect(
        "Stores for file search", list(labels), key=CHAT_STORES, format_func=lambda sid: labels[sid]
    )
    if st.button("Use in chat", type="primary", icon=":material/chat:"):
        use_in_chat(current, chosen)
        active = list(chosen)
    if active:
        names = ", ".join(plain(labels.get(sid, sid)) for sid in active)
        st.caption(f"File search in chat uses: {names}")
    else:
        st.caption("File search in chat is off.")
