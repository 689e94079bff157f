"""lib.ownership's rule, and lib.files listing only a session's stores through the SDK and the double."""

from __future__ import annotations

from openai import OpenAI

from lib import files, ownership
from lib.files import Upload
from lib.tools import ToolSettings, tools_for
from tests.fake_openai import FakeOpenAI


def test_none_owned_means_every_store_is_the_sessions() -> None:
    assert ownership.mine("vs_any", None)
    assert ownership.split(("vs_a", "vs_b"), None) == (("vs_a", "vs_b"), ())


def test_only_owned_ids_are_kept_in_order_and_the_rest_refused() -> None:
    owned = frozenset({"vs_b", "vs_c"})
    assert not ownership.mine("vs_a", owned) and ownership.mine("vs_b", owned)
    assert ownership.split(("vs_c", "vs_a", "vs_b", "vs_d"), owned) == (("vs_c", "vs_b"), ("vs_a", "vs_d"))
    assert ownership.split(("vs_a",), frozenset()) == ((), ("vs_a",))
    assert ownership.visible([{"id": "vs_a"}, {"id": "vs_b"}], owned, lambda s: s["id"]) == [{"id": "vs_b"}]


def test_scoped_tools_send_no_file_search_over_stores_of_others() -> None:
    tools = ToolSettings(file_search=True, vector_store_ids=("vs_theirs", "vs_mine"))
    scoped, refused = ownership.scoped_tools(tools, {"vs_mine"})
    assert refused == ("vs_theirs",) and scoped.vector_store_ids == ("vs_mine",)
    assert ownership.scoped_tools(tools, None) == (tools, ())
    only_theirs, _ = ownership.scoped_tools(ToolSettings(file_search=True, vector_store_ids=("vs_x",)), set())
    assert tools_for(only_theirs) == []  # file search with no store is not offered at all


def test_refusal_note_counts_and_never_repeats_the_ids() -> None:
    assert ownership.refused_note(["vs_x"]) == (
        "1 vector store in your settings is not yours, so file search leaves it out. "
        "Pick your own stores on the Files page."
    )
    assert ownership.refused_note(["vs_x", "vs_y"]).startswith("2 vector stores in your settings are not yours")
    assert "vs_x" not in ownership.refused_note(["vs_x", "vs_y"])


def test_owner_tag_is_a_stable_hash_that_shows_nothing_of_the_owner() -> None:
    tag = ownership.owner_tag("user:ann@example.com")
    assert tag == ownership.owner_tag("user:ann@example.com") != ownership.owner_tag("user:bob@example.com")
    assert len(tag) == 32 and "ann" not in tag and "@" not in tag


def test_list_stores_keeps_only_the_owned_and_the_metadata_reaches_the_api(fake_openai: FakeOpenAI) -> None:
    client = OpenAI(base_url=fake_openai.base_url, api_key="sk-test", max_retries=0)
    mine = files.create_store(client, "mine", metadata={"owner": "abc"})
    theirs = files.create_store(client, "theirs")
    assert {s.id for s in files.list_stores(client)} == {mine.id, theirs.id}
    assert [s.id for s in files.list_stores(client, {mine.id})] == [mine.id]
    assert files.list_stores(client, set()) == []
    assert client.vector_stores.retrieve(mine.id).metadata == {"owner": "abc"}


def test_store_files_names_only_the_files_of_that_store(fake_openai: FakeOpenAI) -> None:
    client = OpenAI(base_url=fake_openai.base_url, api_key="sk-test", max_retries=0)
    ann, bob = files.create_store(client, "ann"), files.create_store(client, "bob")
    files.upload_files(client, ann.id, [Upload("salaries.md", b"# secret")])
    files.upload_files(client, bob.id, [Upload("bob.md", b"# bob")])
    assert [row.name for row in files.store_files(client, bob.id)] == ["bob.md"]
