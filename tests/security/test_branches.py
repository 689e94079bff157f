"""Fork and branch copy a conversation's items into a new one: only for a conversation this identity owns."""

from __future__ import annotations

from lib.conversations import Thread
from lib.stream import Turn
from lib.ui import state
from tests.app.actions import button
from tests.fake_openai import FakeOpenAI, Text
from tests.fake_openai.server import route_of
from tests.security.attack import alerts, owner_app, signed_in, tree_text


def _ann_chats(app, monkeypatch, shared_env: FakeOpenAI) -> str:
    shared_env.queue(Text("Ann's secret plan."))
    ann = signed_in(owner_app(app, monkeypatch), "ann@example.com")
    ann.run().chat_input[0].set_value("My plan").run()
    assert not ann.exception
    return ann.query_params["conversation"]


def _touching(server: FakeOpenAI, conversation_id: str, since: int) -> list[tuple[str, str]]:
    """Requests after `since` that read Ann's conversation or make a new one."""
    return [
        (r.method, route_of(r.path))
        for r in server.requests[since:]
        if conversation_id in r.path or (r.method == "POST" and route_of(r.path) == "/conversations")
    ]


def test_a_visitor_cannot_fork_someone_elses_conversation_by_its_id(app, shared_env, monkeypatch) -> None:
    conversation = _ann_chats(app, monkeypatch, shared_env)
    bob = signed_in(owner_app(app, monkeypatch), "bob@example.com")
    bob.run()
    # Bob's session names Ann's conversation (however he came by its id): the Fork button is drawn for it.
    bob.session_state[state.TRANSCRIPT] = [Turn(prompt="anything", status="completed")]
    bob.session_state[state.THREAD] = Thread(conversation_id=conversation)
    bob.run()
    seen = len(shared_env.requests)
    for label in ("Fork", "Regenerate"):
        button(bob, label).click().run()
        assert not bob.exception
        assert "belongs to someone else" in alerts(bob)
    assert _touching(shared_env, conversation, seen) == []  # nothing of Ann's read, nothing copied
    assert "Ann's secret plan." not in tree_text(bob)


def test_the_owner_forks_her_own_conversation(app, shared_env, monkeypatch) -> None:
    conversation = _ann_chats(app, monkeypatch, shared_env)
    ann = signed_in(owner_app(app, monkeypatch), "ann@example.com")
    ann.query_params["conversation"] = conversation
    ann.run()
    seen = len(shared_env.requests)
    button(ann, "Fork").click().run()
    assert not ann.exception
    fork = ann.query_params["conversation"]
    assert fork != conversation
    assert _touching(shared_env, conversation, seen) == [
        ("GET", f"/conversations/{conversation}/items"),
        ("POST", "/conversations"),
    ]
    assert "Ann's secret plan." in tree_text(ann)


def test_a_regenerate_the_cap_refuses_leaves_the_chat_as_it_was(app, shared_env, monkeypatch, clean_env) -> None:
    from lib.store import HistoryStore
    from tests.security.attack import PASSWORD, enter_password
    from tests.security.test_budget import IDENTITY, ONE_TURN, USAGE

    shared_env.queue(Text("First.", usage=USAGE), Text("Never sent."))
    at = enter_password(
        owner_app(app, monkeypatch, APP_PASSWORD=PASSWORD, BUDGET_USD=f"{ONE_TURN:.9f}", MAX_OUTPUT_TOKENS=16).run()
    )
    at.chat_input[0].set_value("one").run()
    original = at.query_params["conversation"]
    button(at, "Regenerate").click().run()
    assert not at.exception
    assert "budget" in alerts(at)
    assert len(shared_env.response_requests()) == 1  # nothing more spent
    copied = [r for r in shared_env.requests if r.method == "POST" and route_of(r.path) == "/conversations"][-1]
    deleted = [route_of(r.path) for r in shared_env.requests if r.method == "DELETE"]
    assert copied.body["metadata"]["forked_from"] == original and len(deleted) == 1
    branch = deleted[0].removeprefix("/conversations/")
    assert shared_env.store.conversation(branch) is None
    store = HistoryStore(f"sqlite:///{clean_env / 'history.db'}")
    assert store.conversation(IDENTITY, branch) is None and store.conversation(IDENTITY, original) is not None
    store.close()
    seen = len(shared_env.requests)
    at.run()  # the next run shows the chat as it was, continuing where it was, from the session (no reload)
    assert len(shared_env.requests) == seen
    assert [m.markdown[0].value for m in at.chat_message[:2]] == ["one", "First."]
    assert at.query_params["conversation"] == original
    assert at.session_state[state.THREAD].conversation_id == original
