"""PURE: what one run of the chat page does: send a prompt, hold it back, go on with approvals, or only draw."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lib.stream import Turn


@dataclass(frozen=True)
class Plan:
    """The chat page's decision for one run, taken before anything is drawn."""

    turns: Sequence[Turn]  # the finished turns to draw from the transcript
    prompt: Any = None  # what to send now: text, or the chat input's value with files
    held_back: str | None = None  # a prompt sent while an answer is still written: it goes back into the input
    continuing: Turn | None = None  # the last turn, going on with the approval decisions clicked under it
    decisions: dict[str, bool] = field(default_factory=dict)
    busy: bool = False  # an answer is still being written

    @property
    def intro(self) -> bool:
        """An empty chat with nothing happening: the page says what it talks to."""
        return not self.turns and not self.prompt and self.continuing is None and not self.busy

    @property
    def interactive(self) -> bool:
        """The last finished turn takes clicks (approvals, Continue) only while nothing is sent or written."""
        return not (self.prompt or self.busy)


def text_of(prompt: Any) -> str:
    """The text of a chat input's value (a plain string, or a value with `.text` and files)."""
    return str(getattr(prompt, "text", prompt) or "")


def plan(prompt: Any, *, busy: bool, decisions: dict[str, bool], turns: Sequence[Turn]) -> Plan:
    """Decide the run: `prompt` is what was sent (or Continue's prompt), `busy` whether an answer is still
    written once any finished one was collected, `decisions` the approvals clicked, `turns` the transcript."""
    if prompt and busy:  # one answer at a time: the prompt waits in the input, nothing is lost
        return Plan(turns=turns, held_back=text_of(prompt), busy=True)
    if decisions and turns and not busy:  # the approvals go first; the page sends no prompt in the same run
        return Plan(turns=turns[:-1], prompt=prompt or None, continuing=turns[-1], decisions=decisions)
    # Decisions with nothing to continue (or while an answer runs) are dropped: they were for a turn gone by.
    return Plan(turns=turns, prompt=prompt or None, busy=busy)
