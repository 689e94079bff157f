"""Edit, Regenerate, the version switch and Fork on chat turns, with the exact requests each sends to the double."""

from __future__ import annotations

from typing import Any

from tests.app.conftest import APP_KEY
from tests.fake_openai import FakeOpenAI, Seen, Text
from tests.fake_openai.server import route_of


def chat(at, prompt: str):
    at.chat_input[0].set_value(prompt).run()
    assert not at.exception
    return at


def button(at, label: str, turn: int):
    """The `label` button of the turn-th turn (1-based) on the page."""
    buttons = [b for b in at.button if b.label == label]
    return buttons[turn - 1]


def texts(at) -> list[str]:
    return [m.markdown[0].value for m in at.chat_message if m.markdown]


def calls(fake: FakeOpenAI, since: int) -> list[tuple[str, str, Any]]:
    """(method, path, body) of every request after the first `since`, but the context meter's token counts."""
    return [
        (r.method, route_of(r.path), r.body)
        for r in fake.requests[since:]
        if route_of(r.path) != "/responses/input_tokens"
    ]


def two_turns(app, fake: FakeOpenAI):
    fake.queue(Text("First answer."), Text("Second answer."))
    at = chat(chat(app().run(), "Hello"), "More")
    return at, at.query_params["conversation"]


def test_regenerate_in_a_conversation_copies_the_items_before_it_and_answers_there(app, configured) -> None:
    at, original = two_turns(app, configured)
    seen = len(configured.requests)
    configured.queue(Text("Another second answer."))
    button(at, "Regenerate", 2).click().run()
    assert not at.exception
    sent = calls(configured, seen)
    assert [(m, p) for m, p, _ in sent] == [
        ("GET", f"/conversations/{original}/items"),
        ("POST", "/conversations"),
        ("POST", "/responses"),
    ]
    created = sent[1][2]
    assert created["items"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hello"}]},
        {"type": "message", "role": "assistant", "content": "First answer."},
    ]
    assert created["metadata"] == {"title": "Hello", "forked_from": original}
    branch = at.query_params["conversation"]
    assert branch != original and branch.startswith("conv_")
    response = sent[2][2]
    assert response["conversation"] == branch and response["input"] == [{"role": "user", "content": "More"}]
    assert "previous_response_id" not in response
    assert texts(at) == ["Hello", "First answer.", "More", "Another second answer."]
    # The switch on the turn: two versions, the new one shown.
    assert [c.value for c in at.caption if c.value in {"1/2", "2/2"}] == ["2/2"]
    # The original conversation is untouched: still two turns on the server.
    assert len(configured.store.items(original)) == 4


def test_the_switch_shows_the_other_version_and_the_turns_after_it(app, configured) -> None:
    at, original = two_turns(app, configured)
    configured.queue(Text("Third answer."))
    at = chat(at, "Third")
    configured.queue(Text("Hello again, differently."))
    button(at, "Regenerate", 1).click().run()
    branch = at.query_params["conversation"]
    assert texts(at) == ["Hello", "Hello again, differently."]
    next(b for b in at.button if b.label == "‹").click().run()
    assert not at.exception
    assert texts(at) == ["Hello", "First answer.", "More", "Second answer.", "Third", "Third answer."]
    assert [c.value for c in at.caption if c.value in {"1/2", "2/2"}] == ["1/2"]
    assert at.query_params["conversation"] == original
    # The next prompt continues the chosen branch: the original conversation.
    configured.queue(Text("Fourth answer."))
    at = chat(at, "Fourth")
    assert configured.response_requests()[-1]["conversation"] == original
    next(b for b in at.button if b.label == "›").click().run()
    assert texts(at) == ["Hello", "Hello again, differently."]
    assert at.query_params["conversation"] == branch


def test_edit_sends_the_new_text_as_a_branch_from_just_before_it(app, configured) -> None:
    at, original = two_turns(app, configured)
    button(at, "Edit", 2).click().run()
    area = at.text_area[0]
    assert area.value == "More"
    area.set_value("Less, please")
    seen = len(configured.requests)
    configured.queue(Seen())
    next(b for b in at.button if b.label == "Send").click().run()
    assert not at.exception
    sent = calls(configured, seen)
    assert [(m, p) for m, p, _ in sent] == [
        ("GET", f"/conversations/{original}/items"),
        ("POST", "/conversations"),
        ("POST", "/responses"),
    ]
    assert sent[2][2]["input"] == [{"role": "user", "content": "Less, please"}]
    # The model saw the first turn and the edited message, not the message it replaces.
    assert texts(at) == ["Hello", "First answer.", "Less, please", "Seen: Hello | Less, please"]
    assert [c.value for c in at.caption if c.value in {"1/2", "2/2"}] == ["2/2"]


def test_edit_in_a_chain_continues_from_the_earlier_response(app, clean_env, monkeypatch) -> None:
    with FakeOpenAI(conversations=False) as fake:
        monkeypatch.setenv("OPENAI_API_KEY", APP_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        at = chat(chat(app().run(), "One"), "Two")
        first_id = at.session_state["transcript"][0].response_id
        fake.queue(Text("Three"), Seen())
        at = chat(at, "Three")
        button(at, "Edit", 2).click().run()
        at.text_area[0].set_value("Deux")
        seen = len(fake.requests)
        next(b for b in at.button if b.label == "Send").click().run()
        assert not at.exception
        sent = calls(fake, seen)
        assert [(m, p) for m, p, _ in sent] == [("POST", "/responses")]
        body = sent[0][2]
        assert body["previous_response_id"] == first_id and body["input"] == [{"role": "user", "content": "Deux"}]
        # The double answers from that response's chain, not the latest one.
        assert texts(at) == ["One", "Echo: One", "Deux", "Seen: One | Deux"]
        assert at.query_params["response"] == at.session_state["transcript"][-1].response_id


def test_fork_opens_a_new_chat_holding_the_turns_up_to_there(app, configured) -> None:
    at, original = two_turns(app, configured)
    seen = len(configured.requests)
    button(at, "Fork", 1).click().run()
    assert not at.exception
    sent = calls(configured, seen)
    fork = at.query_params["conversation"]
    assert fork != original and fork.startswith("conv_")
    # The items up to there, a new conversation with them, then the new chat reads what the server holds.
    assert [(m, p) for m, p, _ in sent] == [
        ("GET", f"/conversations/{original}/items"),
        ("POST", "/conversations"),
        ("GET", f"/conversations/{fork}/items"),
    ]
    assert sent[1][2]["items"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hello"}]},
        {"type": "message", "role": "assistant", "content": "First answer."},
    ]
    assert texts(at) == ["Hello", "First answer."]
    assert any("Forked into a new chat" in i.value for i in at.info)
    configured.queue(Seen())
    at = chat(at, "After the fork")
    assert configured.response_requests()[-1]["conversation"] == fork
    assert texts(at)[-1] == "Seen: Hello | After the fork"
    assert len(configured.store.items(original)) == 4  # the original is as it was
    # History records where it came from.
    from lib.identity import local_owner
    from lib.store import HistoryStore

    store = HistoryStore(f"sqlite:///{configured_path(at)}")
    row = store.conversation(local_owner(APP_KEY), fork)
    assert row["parent_conversation_id"] == original
    store.close()


def configured_path(at) -> str:
    import os

    return os.environ["HISTORY_DATABASE_URL"].removeprefix("sqlite:///")


def test_a_fork_says_what_it_could_not_carry(app, configured) -> None:
    from tests.fake_openai import Message, Reasoning, Reply, WebSearch

    configured.queue(Reply(Reasoning(), WebSearch("oslo weather"), Message("Cold.")))
    at = chat(app().run(), "Weather?")
    button(at, "Fork", 1).click().run()
    assert not at.exception
    note = next(i.value for i in at.info if "Forked into a new chat" in i.value)
    assert "Not carried into the new conversation: 1 reasoning item, 1 web search call:" in note
    assert texts(at) == ["Weather?", "Cold."]


def test_history_shows_where_a_fork_came_from(app, configured) -> None:
    from lib.identity import local_owner
    from lib.store import HistoryStore

    at, original = two_turns(app, configured)
    first_response = at.session_state["transcript"][0].response_id
    button(at, "Fork", 1).click().run()
    fork = at.query_params["conversation"]
    store = HistoryStore(f"sqlite:///{configured_path(at)}")
    row = store.conversation(local_owner(APP_KEY), fork)
    store.close()
    assert (row["parent_conversation_id"], row["parent_response_id"], row["title"]) == (
        original,
        first_response,
        "Hello",
    )
    at.switch_page("app_pages/history.py")
    at.session_state["history_tab"] = "Conversations"
    at.run()
    assert not at.exception
    frame = at.dataframe[0].value
    forked = dict(zip(frame["ID"], frame["Forked from"], strict=True))
    assert forked[fork] == f"/chat?conversation={original}"
    assert not isinstance(forked[original], str)  # empty (pandas shows None as NaN)


def test_edit_of_the_first_message_starts_an_empty_conversation(app, configured) -> None:
    at, original = two_turns(app, configured)
    button(at, "Edit", 1).click().run()
    at.text_area[0].set_value("Hi instead")
    seen = len(configured.requests)
    configured.queue(Seen())
    next(b for b in at.button if b.label == "Send").click().run()
    sent = calls(configured, seen)
    assert [(m, p) for m, p, _ in sent] == [
        ("GET", f"/conversations/{original}/items"),
        ("POST", "/conversations"),
        ("POST", "/responses"),
    ]
    assert sent[1][2]["items"] == [] and sent[1][2]["metadata"]["title"] == "Hi instead"
    assert texts(at) == ["Hi instead", "Seen: Hi instead"]
    next(b for b in at.button if b.label == "‹").click().run()
    assert texts(at) == ["Hello", "First answer.", "More", "Second answer."]


def test_regenerate_and_fork_in_a_chain(app, clean_env, monkeypatch) -> None:
    with FakeOpenAI(conversations=False) as fake:
        monkeypatch.setenv("OPENAI_API_KEY", APP_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        at = chat(chat(app().run(), "One"), "Two")
        first, second = (t.response_id for t in at.session_state["transcript"])
        seen = len(fake.requests)
        fake.queue(Text("Two, again."))
        button(at, "Regenerate", 2).click().run()
        sent = calls(fake, seen)  # the prompt as first sent (attachments too), then the new answer from its parent
        assert [(m, p) for m, p, _ in sent] == [("GET", f"/responses/{second}/input_items"), ("POST", "/responses")]
        assert sent[1][2]["previous_response_id"] == first
        assert sent[1][2]["input"] == [{"role": "user", "content": "Two"}]
        assert texts(at) == ["One", "Echo: One", "Two", "Two, again."]
        next(b for b in at.button if b.label == "‹").click().run()
        assert at.query_params["response"] == second
        # A fork of a chain: a new chat continuing from that response; nothing to copy on the server.
        seen = len(fake.requests)
        button(at, "Fork", 1).click().run()
        assert calls(fake, seen) == [] and at.query_params["response"] == first
        assert texts(at) == ["One", "Echo: One"]
        fake.queue(Seen())
        at = chat(at, "Un")
        assert fake.response_requests()[-1]["previous_response_id"] == first
        assert texts(at)[-1] == "Seen: One | Un"


def test_regenerate_sends_the_prompts_attachments_again(app, configured) -> None:
    from tests.fake_openai import tiny_png

    at = app().run()
    at.chat_input[0].upload("chart.png", tiny_png((0, 128, 255)), "image/png").set_value("What colour?").run()
    (message,) = configured.last_input()
    seen = len(configured.requests)
    configured.queue(Text("Blue, again."))
    button(at, "Regenerate", 1).click().run()
    assert not at.exception
    assert calls(configured, seen)[1][2]["items"] == []  # nothing came before the first turn
    assert configured.last_input() == [message]  # the text and the image, as first sent
    assert texts(at) == ["What colour?", "Blue, again."]


def test_a_turn_that_never_reached_the_conversation_is_not_counted_in_the_copy(app, configured) -> None:
    from tests.fake_openai import Error

    configured.queue(Text("First answer."), Error(400, "Invalid prompt.", code="invalid_prompt"), Text("Third."))
    at = chat(chat(app().run(), "Hello"), "Refused one")
    at.chat_input[0].set_value("Third").run()  # the refused prompt was put back in the input: replace it
    assert [t.status for t in at.session_state["transcript"]] == ["completed", "failed", "completed"]
    original = at.query_params["conversation"]
    seen = len(configured.requests)
    configured.queue(Text("Third, again."))
    button(at, "Regenerate", 3).click().run()
    assert not at.exception
    created = [b for m, p, b in calls(configured, seen) if (m, p) == ("POST", "/conversations")]
    assert created[0]["items"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hello"}]},
        {"type": "message", "role": "assistant", "content": "First answer."},
    ]
    assert configured.last_input() == [{"role": "user", "content": "Third"}]
    assert len(configured.store.items(original)) == 4


def test_regenerate_in_a_chain_sends_the_prompts_attachments_again(app, clean_env, monkeypatch) -> None:
    from tests.fake_openai import tiny_png

    with FakeOpenAI(conversations=False) as fake:
        monkeypatch.setenv("OPENAI_API_KEY", APP_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        at = chat(app().run(), "Hi")
        at.chat_input[0].upload("chart.png", tiny_png((0, 128, 255)), "image/png").set_value("What colour?").run()
        first, second = (t.response_id for t in at.session_state["transcript"])
        (message,) = fake.last_input()
        seen = len(fake.requests)
        fake.queue(Text("Blue, again."))
        button(at, "Regenerate", 2).click().run()
        assert not at.exception
        sent = calls(fake, seen)
        assert [(m, p) for m, p, _ in sent] == [("GET", f"/responses/{second}/input_items"), ("POST", "/responses")]
        assert sent[1][2]["previous_response_id"] == first and sent[1][2]["input"] == [message]


def test_an_empty_edit_is_refused_and_cancel_puts_the_message_back(app, configured) -> None:
    from lib.ui.branch_view import EMPTY_EDIT

    at, _ = two_turns(app, configured)
    button(at, "Edit", 2).click().run()
    at.text_area[0].set_value("   ")
    seen = len(configured.requests)
    next(b for b in at.button if b.label == "Send").click().run()
    assert [t.value for t in at.toast] == [EMPTY_EDIT]
    assert at.text_area[0].value == "   " and calls(configured, seen) == []  # still editing, nothing sent
    next(b for b in at.button if b.label == "Cancel").click().run()
    assert not at.text_area and texts(at) == ["Hello", "First answer.", "More", "Second answer."]


def test_a_fork_the_api_refuses_says_so_and_keeps_the_chat(app, configured) -> None:
    at, original = two_turns(app, configured)
    configured.store.delete_conversation(original)  # gone on the server (deleted elsewhere)
    button(at, "Fork", 1).click().run()
    assert not at.exception
    assert at.error[0].value.startswith("Could not make the new conversation.")
    assert at.query_params["conversation"] == original
    assert texts(at) == ["Hello", "First answer.", "More", "Second answer."]
    assert not [
        r
        for r in configured.requests
        if r.method == "POST" and route_of(r.path) == "/conversations" and r.body.get("metadata", {}).get("forked_from")
    ]


def test_regenerate_in_a_chain_without_its_input_items_sends_the_text(app, clean_env, monkeypatch) -> None:
    with FakeOpenAI(conversations=False) as fake:
        monkeypatch.setenv("OPENAI_API_KEY", APP_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        at = chat(chat(app().run(), "One"), "Two")
        first, second = (t.response_id for t in at.session_state["transcript"])
        fake.store.delete_response(second)  # its input items are gone with it
        fake.queue(Text("Two, again."))
        button(at, "Regenerate", 2).click().run()
        assert not at.exception
        assert "attachments could not be read again" in at.warning[0].value
        body = fake.response_requests()[-1]
        assert body["previous_response_id"] == first and body["input"] == [{"role": "user", "content": "Two"}]
        assert texts(at)[-1] == "Two, again."


def test_the_switch_waits_while_an_answer_is_written(app, configured) -> None:
    import pytest

    from lib.ui import state
    from lib.ui.branch_view import BUSY

    at, original = two_turns(app, configured)
    configured.queue(Text("Another second answer."))
    button(at, "Regenerate", 2).click().run()
    branch = at.query_params["conversation"]
    previous = next(b for b in at.button if b.label == "‹")
    configured.queue(Text("A slow answer, word by word.", deltas=10, delay=0.4))
    at.chat_input[0].set_value("Slow one")
    with pytest.raises(RuntimeError, match="timed out"):
        at.run(timeout=2)
    assert state.JOB in at.session_state  # still being written
    previous.click().run()
    assert not at.exception
    assert BUSY in [t.value for t in at.toast]
    # The answer landed in the branch it was asked in, which is still the one shown.
    assert texts(at) == [
        "Hello",
        "First answer.",
        "More",
        "Another second answer.",
        "Slow one",
        "A slow answer, word by word.",
    ]
    assert at.query_params["conversation"] == branch
    assert len(configured.store.items(original)) == 4
