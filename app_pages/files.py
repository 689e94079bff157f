"""Files: vector stores for file search, uploads into them and their indexing status."""

from __future__ import annotations

import openai
import streamlit as st

from lib import files
from lib.markup import plain
from lib.ui import context, state, store_owners
from lib.ui import files_view as view

page = context.ready()
current = page.settings

st.title("Files")
state.show_flash()
st.caption("Vector stores hold indexed files that the model searches with the file search tool.")
client = page.client
owned = store_owners.owned_ids(current)  # on the app owner's key: only the stores this person created
try:
    stores = files.list_stores(client, owned)
except openai.APIError as error:
    view.show_error(error, current)
    st.stop()

st.subheader("Vector stores")
if stores:
    st.dataframe(view.stores_frame(stores), hide_index=True, width="stretch")
with st.expander("New store", expanded=not stores, icon=":material/add:"):
    view.create_store_form(client, current)
if not stores:
    st.info("Create a store to upload files into.")
    st.stop()

store = view.pick_store(stores)
view.manage_store(client, store, current)
try:
    store_rows = files.store_files(client, store.id)
except openai.APIError as error:
    view.show_error(error, current)
    store_rows = []

st.subheader(f"Upload into {plain(store.label)}")
picked = st.file_uploader(
    "Files to index",
    accept_multiple_files=True,
    key=view.uploader_key(),
    help=f"File search reads: {', '.join(sorted(files.FILE_SEARCH_EXTENSIONS))}.",
)
if st.button("Upload and index", icon=":material/upload:", disabled=not picked):
    view.upload(client, store, picked or [], [row.name for row in store_rows])
view.status_table(client, current, owned)

st.subheader(f"Files in {plain(store.label)}")
view.store_files_section(client, store, store_rows, current)

st.subheader("Use in chat")
view.use_in_chat_section(stores, store, current)
