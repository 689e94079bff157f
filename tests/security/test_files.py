"""Vector stores and files are per person on the app owner's key: nobody sees, changes or searches another's."""

from __future__ import annotations

import os
from typing import Any

import pytest
from openai import OpenAI
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from lib.ownership import owner_tag
from lib.profile_format import to_data
from lib.settings import Settings
from lib.store import HistoryStore
from lib.store.schema import vector_store_owners
from lib.tools import ToolSettings
from lib.ui import files_view, state
from tests.app.actions import click, send_message
from tests.fake_openai import FakeOpenAI, Text
from tests.security.attack import (
    OWNER_KEY,
    PASSWORD,
    VISITOR_KEY,
    alerts,
    enter_password,
    owner_app,
    signed_in,
    tree_text,
)

ANN, BOB = "ann@example.com", "bob@example.com"


def person(app: Any, monkeypatch: pytest.MonkeyPatch, email: str, **query: str) -> AppTest:
    """A session of someone signed in on the deployment that uses the owner's key."""
    at = signed_in(owner_app(app, monkeypatch), email)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception
    return at


def files_page(at: AppTest) -> AppTest:
    at.switch_page("app_pages/files.py")
    at.run()
    assert not at.exception
    return at


def create_store(at: AppTest, name: str) -> str:
    """Create a store on the Files page; its id."""
    next(t for t in at.text_input if t.label == "Name of the new store").set_value(name)
    click(at, "Create store")
    assert not at.exception and at.info[0].value == f"Created the store {name}."
    return at.session_state[files_view.STORE]


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value([(name, data, "text/markdown")]).run()
    click(at, "Upload and index")
    assert not at.exception
    return at.run()  # the status poll


def db() -> HistoryStore:
    return HistoryStore(os.environ["HISTORY_DATABASE_URL"])


def owner_of(store_id: str) -> str:
    """The owner the app recorded for a store (whatever form the app's identities take)."""
    store = db()
    try:
        with store.engine.connect() as conn:
            query = select(vector_store_owners.c.owner).where(vector_store_owners.c.store_id == store_id)
            return conn.execute(query).scalar_one()
    finally:
        store.close()


def requests_naming(fake: FakeOpenAI, store_id: str, since: int = 0) -> list[str]:
    """Every request after the first `since` whose path or body names the store."""
    return [f"{r.method} {r.path}" for r in fake.requests[since:] if store_id in r.path or store_id in repr(r.body)]


def with_file_search(at: AppTest, *store_ids: str) -> None:
    """Put stores into the session's settings, as a crafted session state would."""
    at.session_state[state.SETTINGS] = {"tools": ToolSettings(file_search=True, vector_store_ids=store_ids)}


@pytest.fixture
def ann_store(app: Any, shared_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> str:
    """Ann, signed in on the owner's key, created a store and indexed a file into it."""
    ann = files_page(person(app, monkeypatch, ANN))
    store_id = create_store(ann, "Ann's payroll")
    upload(ann, "salaries-2026.md", b"# Salaries\nAnn: a lot")
    assert list(ann.dataframe[-1].value["File"]) == ["salaries-2026.md"]
    return store_id


def test_a_store_is_recorded_as_its_creators_by_hash_not_by_email(ann_store: str, shared_env: FakeOpenAI) -> None:
    owner = owner_of(ann_store)
    body = next(r.body for r in shared_env.requests if r.method == "POST" and r.path == "/v1/vector_stores")
    assert body["metadata"] == {"owner": owner_tag(owner)}
    assert ANN not in repr(body) and OWNER_KEY not in repr(body)


def test_bob_does_not_see_anns_store_or_its_files(app, ann_store: str, shared_env: FakeOpenAI, monkeypatch) -> None:
    bob = files_page(person(app, monkeypatch, BOB))
    page = tree_text(bob)
    assert "Ann's payroll" not in page and ann_store not in page and "salaries-2026" not in page
    assert "Create a store to upload files into." in alerts(bob)

    bob_store = create_store(bob, "Bob's notes")
    upload(bob, "bob.md", b"# Bob")
    assert list(bob.dataframe[0].value["ID"]) == [bob_store]
    assert list(bob.dataframe[-1].value["File"]) == ["bob.md"]  # the key's file list has Ann's file too
    page = tree_text(bob)
    assert "Ann's payroll" not in page and "salaries-2026" not in page
    assert bob.multiselect[0].options == ["Bob's notes"]  # "Use in chat"


def test_bob_cannot_rename_delete_or_list_anns_store_through_session_state(
    app, ann_store: str, shared_env: FakeOpenAI, monkeypatch
) -> None:
    bob = files_page(person(app, monkeypatch, BOB))
    create_store(bob, "Bob's notes")
    since = len(shared_env.requests)
    bob.session_state[files_view.STORE] = ann_store
    bob.session_state[files_view.CONFIRM_DELETE] = ann_store
    bob.session_state[files_view.ROWS_STORE] = ann_store
    bob.session_state[files_view.ROWS] = [
        files_view.FileRow("x.md", 1, "in_progress", file_id="file_x", batch_id="vsfb_x")
    ]
    bob.run()
    assert not bob.exception
    next(t for t in bob.text_input if t.label == "Name").set_value("Pwned").run()
    click(bob, "Rename")
    click(bob, "Delete store")
    click(bob, "Yes, delete")
    assert not bob.exception
    assert requests_naming(shared_env, ann_store, since) == []
    assert "salaries-2026" not in tree_text(bob)
    ann_side = OpenAI(api_key=OWNER_KEY, base_url=shared_env.base_url)
    assert ann_side.vector_stores.retrieve(ann_store).name == "Ann's payroll"


def test_bobs_tools_tab_offers_only_his_stores_and_drops_anns(
    app, ann_store: str, shared_env: FakeOpenAI, monkeypatch
) -> None:
    bob = files_page(person(app, monkeypatch, BOB))
    bob_store = create_store(bob, "Bob's notes")
    with_file_search(bob, ann_store, bob_store)
    bob.switch_page("app_pages/setup.py").run()
    assert not bob.exception
    stores = next(m for m in bob.multiselect if m.label == "Vector stores")
    assert stores.options == ["Bob's notes"] and stores.value == [bob_store]
    assert "1 vector store in your settings is not yours" in alerts(bob)
    assert ann_store not in tree_text(bob) and "Ann's payroll" not in tree_text(bob)
    click(bob, "Save")
    assert bob.session_state[state.SETTINGS]["tools"].vector_store_ids == (bob_store,)


def test_bobs_chat_never_searches_anns_store(app, ann_store: str, shared_env: FakeOpenAI, monkeypatch) -> None:
    shared_env.queue(Text("Nothing found."), Text("Still nothing."))
    bob = files_page(person(app, monkeypatch, BOB))
    bob_store = create_store(bob, "Bob's notes")
    with_file_search(bob, ann_store, bob_store)
    bob.switch_page("app_pages/chat.py").run()
    send_message(bob, "What does Ann earn?")
    assert not bob.exception
    file_search = next(t for t in shared_env.response_requests()[-1]["tools"] if t["type"] == "file_search")
    assert file_search["vector_store_ids"] == [bob_store]
    assert "1 vector store in your settings is not yours" in alerts(bob)

    with_file_search(bob, ann_store)  # only hers: no file search at all
    send_message(bob, "And now?")
    assert not bob.exception
    assert [t["type"] for t in shared_env.response_requests()[-1].get("tools", [])] == []
    assert all(ann_store not in repr(body) for body in shared_env.response_requests())


def test_a_profile_of_bobs_cannot_smuggle_anns_store_into_his_chat(
    app, ann_store: str, shared_env: FakeOpenAI, monkeypatch
) -> None:
    shared_env.queue(Text("Nothing found."))
    bob = files_page(person(app, monkeypatch, BOB))
    bob_owner = owner_of(create_store(bob, "Bob's notes"))
    planted = Settings(tools=ToolSettings(file_search=True, vector_store_ids=(ann_store,)))
    store = db()
    try:
        store.profiles.save(bob_owner, "ann-docs", to_data(planted))
    finally:
        store.close()
    bob = person(app, monkeypatch, BOB, profile="ann-docs")
    assert bob.session_state[state.SETTINGS]["tools"].vector_store_ids == (ann_store,)  # the profile did apply
    send_message(bob, "Search Ann's files")
    assert not bob.exception
    assert all(ann_store not in repr(body) for body in shared_env.response_requests())
    assert "not yours" in alerts(bob)


def test_bob_cannot_index_chat_documents_into_anns_store(
    app, ann_store: str, shared_env: FakeOpenAI, monkeypatch
) -> None:
    shared_env.queue(Text("I cannot read that."))
    bob = person(app, monkeypatch, BOB)
    with_file_search(bob, ann_store)
    since = len(shared_env.requests)
    bob.chat_input[0].upload("plan.md", b"# Plan", "text/markdown").set_value("Read this").run()
    assert not bob.exception
    offered = [b for b in bob.button if b.label.startswith("Index ")]
    for offer in offered:  # what Bob would press
        offer.click().run()
    assert offered == []
    assert "Pick a vector store on the Files page" in alerts(bob)
    assert requests_naming(shared_env, ann_store, since) == []


def test_stores_the_owners_key_had_before_are_shown_to_nobody(app, shared_env: FakeOpenAI, monkeypatch) -> None:
    before = OpenAI(api_key=OWNER_KEY, base_url=shared_env.base_url).vector_stores.create(name="Owner's private")
    for email in (ANN, BOB):
        at = files_page(person(app, monkeypatch, email))
        assert "Owner's private" not in tree_text(at) and before.id not in tree_text(at)
        assert "Create a store to upload files into." in alerts(at)
        at.switch_page("app_pages/setup.py").run()
        next(t for t in at.toggle if t.label == "File search").set_value(True).run()
        assert next(m for m in at.multiselect if m.label == "Vector stores").options == []


def test_behind_one_app_password_everyone_is_one_identity_but_old_stores_stay_hidden(
    app, shared_env: FakeOpenAI, monkeypatch
) -> None:
    before = OpenAI(api_key=OWNER_KEY, base_url=shared_env.base_url).vector_stores.create(name="Owner's private")
    first = files_page(enter_password(owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD).run()))
    made = create_store(first, "Team docs")
    second = files_page(enter_password(owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD).run()))
    assert list(second.dataframe[0].value["ID"]) == [made]  # by design: one password, one identity
    assert before.id not in tree_text(second) and "Owner's private" not in tree_text(second)


def test_with_their_own_key_a_visitor_sees_every_store_of_that_key(app, shared_env: FakeOpenAI) -> None:
    theirs = OpenAI(api_key=VISITOR_KEY, base_url=shared_env.base_url).vector_stores.create(name="Made elsewhere")
    at = app()
    at.session_state[state.SETTINGS] = {"api_key": VISITOR_KEY}
    at = files_page(at.run())
    assert list(at.dataframe[0].value["ID"]) == [theirs.id]
    made = create_store(at, "Made here")
    assert owner_of(made)  # still recorded
    assert set(at.dataframe[0].value["ID"]) == {theirs.id, made}
