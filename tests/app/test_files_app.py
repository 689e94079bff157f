"""The Files page in AppTest, against the double's Files and Vector Stores API."""

from __future__ import annotations

import os
from pathlib import Path

from streamlit.testing.v1 import AppTest

from lib.ownership import owner_tag
from lib.store import HistoryStore, owner_for
from lib.ui import files_view
from tests.app.actions import click
from tests.app.conftest import APP_KEY
from tests.fake_openai import FakeOpenAI

THREE = [("a.md", b"# A", "text/markdown"), ("b.txt", b"bravo", "text/plain"), ("bad.pdf", b"%PDF", "application/pdf")]


def open_files(app) -> AppTest:  # noqa: ANN001 - the conftest factory
    at = app()
    at.switch_page("app_pages/files.py")
    return at.run()


def create_store(at: AppTest, name: str, days: int = 0) -> AppTest:
    form_name = next(t for t in at.text_input if t.label == "Name of the new store")
    form_name.set_value(name)
    next(n for n in at.number_input if n.label.startswith("Expire after")).set_value(days)
    return click(at, "Create store")


def upload(at: AppTest, picked: list[tuple[str, bytes, str]]) -> AppTest:
    at.file_uploader[0].set_value(picked).run()
    return click(at, "Upload and index")


def status_frame(at: AppTest):  # noqa: ANN201
    """The last upload's table: the dataframe after the 'Last upload' caption."""
    return next(d.value for d in at.dataframe if list(d.value.columns) == ["File", "Size", "Status", "Details"])


def test_no_key_sends_the_user_to_setup(app, clean_env: Path) -> None:
    at = open_files(app)
    assert not at.exception
    assert at.title[0].value == "Setup" and "Add your OpenAI API key" in at.info[0].value


def test_create_a_store_with_expiry(app, configured: FakeOpenAI) -> None:
    at = open_files(app)
    assert "Create a store" in at.info[0].value
    at = create_store(at, "Product docs", days=7)
    assert not at.exception
    assert at.info[0].value == "Created the store Product docs."
    stores = at.dataframe[0].value
    assert list(stores["Name"]) == ["Product docs"] and stores["Expires"][0].endswith("(7 d idle)")
    body = next(r.body for r in configured.requests if r.method == "POST" and r.path == "/v1/vector_stores")
    # Whose it is goes along as a hash (never the key), and into the history database.
    owner = owner_for(None, APP_KEY)
    assert body == {
        "name": "Product docs",
        "expires_after": {"anchor": "last_active_at", "days": 7},
        "metadata": {"owner": owner_tag(owner)},
    }
    store = HistoryStore(os.environ["HISTORY_DATABASE_URL"])
    try:
        assert store.vector_stores.ids(owner) == {stores["ID"][0]}
    finally:
        store.close()


def test_upload_shows_each_file_reaching_its_final_status(app, configured: FakeOpenAI) -> None:
    configured.files.polls_to_complete = 3  # a full run reads the files twice: the store's list and the status poll
    configured.files.fail("bad.pdf", "The file could not be parsed.")
    at = upload(create_store(open_files(app), "Docs"), THREE + [("tool.exe", b"MZ", "application/octet-stream")])
    assert not at.exception
    frame = status_frame(at)
    assert list(frame["Status"]) == ["in_progress", "in_progress", "in_progress", "rejected"]
    assert frame["Details"][3].startswith(".exe files are not supported by file search")
    assert any(c.value == "Last upload: 3 in progress · 1 rejected" for c in at.caption)
    at.run()  # the poll the fragment's timer would make
    frame = status_frame(at)
    assert list(frame["Status"]) == ["completed", "completed", "failed", "rejected"]
    assert frame["Details"][2] == "The file could not be parsed."
    assert any(c.value == "Last upload: 2 completed · 1 failed · 1 rejected" for c in at.caption)
    assert sorted(configured.files.filenames()) == ["a.md", "b.txt", "bad.pdf"]
    assert at.file_uploader[0].value in (None, [])  # emptied for the next batch


def test_duplicate_name_is_uploaded_and_flagged(app, configured: FakeOpenAI) -> None:
    at = upload(create_store(open_files(app), "Docs"), THREE[:1])
    at = upload(at, THREE[:1])
    assert status_frame(at)["Details"][0] == "Same name as another file."
    assert configured.files.filenames() == ["a.md", "a.md"]


def test_delete_store_asks_first(app, configured: FakeOpenAI) -> None:
    at = create_store(create_store(open_files(app), "Keep"), "Drop")
    at = click(at, "Delete store")
    assert "Delete the store **Drop**" in at.warning[0].value
    at = click(at, "Cancel")
    assert not at.warning and len(at.dataframe[0].value) == 2
    at = click(at, "Delete store")
    at = click(at, "Yes, delete")
    assert not at.exception
    assert at.info[0].value == "Deleted the store Drop."
    assert list(at.dataframe[0].value["Name"]) == ["Keep"]


def test_rename_store(app, configured: FakeOpenAI) -> None:
    at = create_store(open_files(app), "Old")
    next(t for t in at.text_input if t.label == "Name").set_value("New").run()
    at = click(at, "Rename")
    assert at.info[0].value == "Renamed to New." and list(at.dataframe[0].value["Name"]) == ["New"]


def test_remove_a_file_and_delete_it_too(app, configured: FakeOpenAI) -> None:
    at = upload(create_store(open_files(app), "Docs"), THREE[:2])
    at.run()
    files_in_store = at.dataframe[-1].value
    assert sorted(files_in_store["File"]) == ["a.md", "b.txt"]
    at.checkbox[0].check()
    at = click(at, "Remove from store")
    assert not at.exception and at.info[0].value.endswith("and deleted the file.")
    assert len(at.dataframe[-1].value) == 1 and len(configured.files.filenames()) == 1


def test_use_in_chat_sets_file_search_in_the_session(app, configured: FakeOpenAI) -> None:
    at = create_store(create_store(open_files(app), "Alpha"), "Beta")
    assert at.main.caption[-1].value == "File search in chat is off."
    ids = list(at.dataframe[0].value["ID"])
    at.multiselect[0].set_value(ids).run()
    at = click(at, "Use in chat")
    tools = at.session_state["settings"]["tools"]
    assert tools.file_search and set(tools.vector_store_ids) == set(ids)
    assert at.main.caption[-1].value in (
        "File search in chat uses: Alpha, Beta",
        "File search in chat uses: Beta, Alpha",
    )
    at.multiselect[0].set_value([]).run()
    at = click(at, "Use in chat")
    tools = at.session_state["settings"]["tools"]
    assert not tools.file_search and tools.vector_store_ids == ()
    assert at.session_state[files_view.STORE] in ids


def test_refused_key_shows_the_error(app, clean_env: Path, monkeypatch, fake_openai_factory) -> None:  # noqa: ANN001
    fake = fake_openai_factory(api_keys={"sk-the-right-one"})
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-0001")
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    at = open_files(app)
    assert not at.exception
    assert at.error[0].value == "The API key was refused (401). Check the key on the Setup page."
    assert not at.file_uploader
