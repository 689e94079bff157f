"""lib/branches.py: the tree of a chat's turns, the chosen path, switching versions, the thread a path ends in."""

from __future__ import annotations

from lib.branches import Tree
from lib.stream import Turn


def turn(prompt: str, response_id: str | None = None) -> Turn:
    return Turn(prompt=prompt, response_id=response_id, status="completed")


def test_a_new_version_sits_beside_the_old_one_and_the_path_follows_the_choice() -> None:
    tree = Tree()
    one, two, three = turn("one"), turn("two"), turn("three")
    transcript = [one, two, three]
    tree.learn(transcript, "conv_a")
    assert tree.path() == transcript and tree.versions(two.id) == (1, 1)
    branch = tree.branch_at(two.id)
    assert branch == [one]
    other = turn("deux")
    branch.append(other)  # the collected answer lands in the list the tree follows
    tree.learn(branch, "conv_b")
    assert tree.path() == [one, other]
    assert tree.versions(other.id) == (2, 2) and tree.versions(two.id) == (1, 2)
    back = tree.switch(other.id, -1)
    assert back == [one, two, three]  # the turns after the old version come back with it
    assert tree.thread(back).conversation_id == "conv_a"
    assert tree.switch(two.id, +5) == [one, other]  # clamped to the last version
    assert tree.thread([one, other]).conversation_id == "conv_b"
    assert tree.conversations() == {"conv_a", "conv_b"}


def test_another_transcript_list_is_another_chat() -> None:
    tree = Tree()
    tree.learn([turn("old")], "conv_a")
    fresh = [turn("new")]
    tree.learn(fresh, None)
    assert tree.path() == fresh and tree.versions(fresh[0].id) == (1, 1) and tree.conversations() == set()


def test_a_chain_continues_from_the_last_answered_response_of_the_path() -> None:
    tree = Tree()
    one, failed = turn("one", "resp_1"), turn("two")
    tree.learn([one, failed], None)
    thread = tree.thread([one, failed])
    assert thread.chained and thread.last_response_id == "resp_1" and thread.conversation_id is None
    assert tree.thread([]).url_params == {}
