"""Documents dropped into the chat are indexed into the active vector store with one click."""

from __future__ import annotations

from openai import OpenAI

from lib.tools import ToolSettings
from lib.ui import state
from tests.app.conftest import APP_KEY
from tests.fake_openai import FakeOpenAI, Text


def test_index_uploads_the_dropped_documents_into_the_active_store(app, configured: FakeOpenAI) -> None:
    api = OpenAI(api_key=APP_KEY, base_url=configured.base_url)
    store = api.vector_stores.create(name="notes")
    configured.queue(Text("I will search them once indexed."))
    at = app()
    at.session_state["settings"] = {"tools": ToolSettings(file_search=True, vector_store_ids=(store.id,))}
    at.run()
    at.chat_input[0].upload("notes.md", b"# Cats\nCats sleep 16 hours.", "text/markdown")
    at.chat_input[0].upload("todo.txt", b"feed the cat", "text/plain").set_value("Read these").run()
    assert not at.exception
    offer = next(b for b in at.button if b.label.startswith("Index "))
    assert offer.label == "Index notes.md, todo.txt into the active vector store for file search"
    offer.click().run()
    assert not at.exception
    assert [t.value for t in at.toast] == ["Indexing 2 file(s); see the Files page for their status."]
    assert state.TO_INDEX not in at.session_state
    files = [api.files.retrieve(f.id) for f in api.vector_stores.files.list(store.id)]
    assert sorted((f.filename, f.bytes, f.purpose) for f in files) == [
        ("notes.md", len(b"# Cats\nCats sleep 16 hours."), "assistants"),
        ("todo.txt", len(b"feed the cat"), "assistants"),
    ]
    assert not [b for b in at.run().button if b.label.startswith("Index ")]
