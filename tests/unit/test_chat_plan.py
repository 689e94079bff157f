"""The chat page's plan for one run (lib/chat_plan.py): send, hold back, continue with approvals, or only draw."""

from __future__ import annotations

from dataclasses import dataclass

from lib.chat_plan import plan, text_of
from lib.stream import Turn


@dataclass
class Submitted:
    """The shape of st.chat_input's value when files may be attached: text plus files."""

    text: str
    files: list


def transcript(count: int) -> list[Turn]:
    return [Turn(prompt=f"question {n}") for n in range(1, count + 1)]


def test_an_empty_chat_with_nothing_sent_shows_the_intro_and_sends_nothing() -> None:
    step = plan(None, busy=False, decisions={}, turns=[])
    assert (step.prompt, step.held_back, step.continuing, list(step.turns)) == (None, None, None, [])
    assert step.intro and step.interactive


def test_a_prompt_on_an_idle_chat_is_sent_and_the_earlier_turns_take_no_clicks() -> None:
    turns = transcript(2)
    step = plan("Hello", busy=False, decisions={}, turns=turns)
    assert step.prompt == "Hello" and step.held_back is None and step.continuing is None
    assert step.turns is turns and not step.intro and not step.interactive


def test_a_prompt_with_files_is_sent_as_it_came() -> None:
    submitted = Submitted("Look", files=["a.png"])
    step = plan(submitted, busy=False, decisions={}, turns=[])
    assert step.prompt is submitted and not step.intro


def test_a_prompt_while_an_answer_is_written_goes_back_into_the_input() -> None:
    step = plan(Submitted("Wait for me", files=[]), busy=True, decisions={}, turns=transcript(1))
    assert step.prompt is None and step.held_back == "Wait for me"
    assert step.busy and not step.intro and not step.interactive


def test_approvals_continue_the_last_turn_which_leaves_the_turns_drawn() -> None:
    turns = transcript(3)
    step = plan(None, busy=False, decisions={"mcpr_1": True}, turns=turns)
    assert step.continuing is turns[-1] and list(step.turns) == turns[:2]
    assert step.decisions == {"mcpr_1": True}
    assert not step.intro and step.interactive


def test_approvals_for_a_chat_with_no_turns_left_are_dropped() -> None:
    step = plan(None, busy=False, decisions={"mcpr_1": False}, turns=[])
    assert step.continuing is None and step.decisions == {} and step.intro


def test_approvals_while_an_answer_is_written_are_dropped_and_nothing_is_sent() -> None:
    turns = transcript(1)
    step = plan(None, busy=True, decisions={"mcpr_1": True}, turns=turns)
    assert step.continuing is None and step.prompt is None and step.turns is turns
    assert not step.intro and not step.interactive


def test_a_busy_chat_with_nothing_sent_only_draws() -> None:
    step = plan(None, busy=True, decisions={}, turns=[])
    assert step.prompt is None and step.held_back is None and not step.intro and not step.interactive


def test_text_of_a_plain_prompt_and_of_one_with_files() -> None:
    assert text_of("plain") == "plain"
    assert text_of(Submitted("with files", files=[])) == "with files"
    assert text_of(None) == ""


def test_approvals_go_first_when_a_prompt_arrives_in_the_same_run() -> None:
    turns = transcript(2)
    step = plan("Also this", busy=False, decisions={"mcpr_1": True}, turns=turns)
    assert step.continuing is turns[-1] and not step.interactive  # the page answers the approvals, not the prompt
