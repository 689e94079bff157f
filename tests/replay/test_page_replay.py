"""(b) Each recording through the chat page in AppTest: what streams in is what a rerun draws, and what was recorded."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from lib.tools import ToolSettings
from tests.app.actions import send_message
from tests.fake_openai import FakeOpenAI, Recording
from tests.replay import page
from tests.replay.corpus import BY_NAME, CASES, Case

PROMPT = "Replay this recording"
STREAM_SECONDS = 0.3  # each recording is paced to last about this long, so the page draws it while it streams


def _settings(case: Case) -> dict[str, Any]:
    tools = {k: tuple(v) if isinstance(v, list) else v for k, v in case.tools.items()}
    settings: dict[str, Any] = {"tools": ToolSettings(**tools)}
    if case.background:
        settings["background"] = True
    return settings


def _answer(at: AppTest) -> list[str]:
    """What the page shows of the (only) turn: the assistant's bubble."""
    assert [m.name for m in at.chat_message] == ["user", "assistant"], page.visible(at.main)
    return page.visible(at.chat_message[1])


def drive(app: Any, fake: FakeOpenAI, case: Case) -> tuple[list[list[str]], list[str], AppTest]:
    """Send the prompt (and each recorded approval decision): the bubble as each run drew it, then after a rerun."""
    # Unpaced, a short stream can end before the page first looks, and the live drawing is never exercised.
    fake.queue(*[Recording(r.body, delay=STREAM_SECONDS / len(r.frames())) for r in case.recordings()])
    at = app()
    at.session_state["settings"] = _settings(case)
    at.run()
    send_message(at, PROMPT)
    assert not at.exception, at.exception
    drawn = [_answer(at)]
    for decision in case.decisions:
        request_id = next(i["id"] for i in page.outputs(case) if i["type"] == "mcp_approval_request")
        at.button(key=f"{'approve' if decision else 'deny'}_{request_id}").click().run()
        assert not at.exception, at.exception
        drawn.append(_answer(at))
    at.run()
    assert not at.exception, at.exception
    return drawn, _answer(at), at


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_streamed_and_rerun_pages_show_the_recording(app, configured: FakeOpenAI, case: Case) -> None:
    drawn, rerun, at = drive(app, configured, case)
    shown = page.flat(rerun)
    for text in page.texts(case):
        assert " ".join(text.split()) in shown
    for cited in page.citations(case):
        assert any(cited in line for line in rerun), cited
    usage = page.usage_prefix(case)
    tokens = [line for line in rerun if line.startswith("caption: ") and " in (" in line]
    assert [line.startswith(f"caption: {usage}") for line in tokens] == ([True] if usage else [])
    assert sum(line.startswith("status: ") for line in rerun) == page.cards(case), rerun
    assert sum(line == "expander: Thinking" for line in rerun) == page.thoughts(case), rerun
    assert configured.response_requests()[0].get("background", False) is case.background
    check_requests(configured, case)
    # The tree drawn by the run that streamed the answer and collected it is what a rerun draws.
    assert drawn[-1] == rerun


def check_requests(fake: FakeOpenAI, case: Case) -> None:
    """Between streams the app sent what the next recording answers, in the same conversation: an output for every
    recorded function call (these names are not ours: the app's unknown-function error), or the approval decision."""
    bodies = fake.response_requests()
    assert len(bodies) == len(case.streams)
    assert {body.get("conversation") for body in bodies} == {bodies[0]["conversation"]}
    for index, body in enumerate(bodies[1:]):
        if case.decisions:
            request = next(i for i in case.finals()[index]["output"] if i["type"] == "mcp_approval_request")
            assert body["input"] == [
                {
                    "type": "mcp_approval_response",
                    "approval_request_id": request["id"],
                    "approve": case.decisions[index],
                }
            ]
        else:
            assert body["input"] == [
                {
                    "type": "function_call_output",
                    "call_id": call["call_id"],
                    "output": f"Error: LookupError: unknown function {call['name']!r}",
                }
                for call in page.calls(case, index)
            ]


def test_each_web_search_card_says_what_that_action_did(app, configured: FakeOpenAI) -> None:
    case = BY_NAME["web-search-actions"]
    configured.queue(*case.recordings())
    at = app()
    at.session_state["settings"] = _settings(case)
    at.run()
    send_message(at, PROMPT)
    at.run()
    labels = [card.label for card in at.chat_message[1].get("status")]
    actions = [i["action"] for i in page.outputs(case) if i["type"] == "web_search_call"]
    assert [a["type"] for a in actions] == [
        "search",
        "search",
        "open_page",
        "find_in_page",
        "find_in_page",
        "find_in_page",
    ]
    for label, action in zip(labels, actions, strict=True):
        if action["type"] == "search":
            assert action["query"] in label
        elif action["type"] == "open_page":  # the page as a reader knows it: host without www., and path
            assert urlsplit(action["url"]).hostname.removeprefix("www.") in label
        else:
            assert action["pattern"] in label and urlsplit(action["url"]).hostname.removeprefix("www.") in label


def test_an_error_event_is_explained(app, configured: FakeOpenAI) -> None:
    case = BY_NAME["error-quota"]
    configured.queue(*case.recordings())
    at = app()
    at.run()
    send_message(at, PROMPT)
    (alert,) = at.chat_message[1].error
    assert "quota" in alert.value
    assert "Something went wrong" not in alert.value and "APIError" not in alert.value
