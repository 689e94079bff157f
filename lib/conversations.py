"""Server-side conversation state: a Conversations API conversation, or a previous_response_id chain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import openai
from openai import OpenAI
from openai.types.responses import Response

from lib.stream import Turn, add_output_item, as_data

MAX_CHAIN = 500  # how far back a previous_response_id chain is walked on reload


@dataclass
class Thread:
    """Where this chat's turns live on the server; its id is what goes in the URL."""

    conversation_id: str | None = None
    last_response_id: str | None = None
    chained: bool = False  # True when the provider has no Conversations API
    # Function outputs the server has not received (their round failed): the thread's calls need them,
    # so they go out with the next input, or the API refuses every later prompt.
    unsent: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url_params(self) -> dict[str, str]:
        """Query parameters that reopen this thread."""
        if self.conversation_id:
            return {"conversation": self.conversation_id}
        if self.last_response_id:
            return {"response": self.last_response_id}
        return {}


def title_from(prompt: str, words: int = 8) -> str:
    """A short title from the first words of the first prompt."""
    head = " ".join(prompt.split()[:words])
    return head[:80] + ("…" if len(prompt.split()) > words or len(head) > 80 else "")


def start_conversation(client: OpenAI, prompt: str) -> str | None:
    """Create a conversation; None when the provider has no Conversations API (404/405)."""
    try:
        conversation = client.conversations.create(metadata={"title": title_from(prompt)})
    except openai.APIStatusError as error:
        if error.status_code in (404, 405, 501):
            return None
        raise
    return conversation.id


def user_text(data: dict[str, Any]) -> str:
    """The text of a user message item, whatever shape its content has."""
    content = data.get("content")
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content or [] if part.get("type") in {"input_text", "text"})


def turns_from_items(items: list[dict[str, Any]]) -> list[Turn]:
    """Group a conversation's items into turns: each user message starts one."""
    turns: list[Turn] = []
    for data in items:
        if data.get("type") == "message" and data.get("role") == "user":
            turns.append(Turn(prompt=user_text(data), status="completed"))
        elif data.get("type") == "message" and data.get("role") in {"system", "developer"}:
            continue
        else:
            if not turns:
                turns.append(Turn(prompt="", status="completed"))
            add_output_item(turns[-1], data)
    return turns


def load_conversation(client: OpenAI, conversation_id: str) -> list[Turn]:
    """The transcript of a conversation, oldest first, from conversations.items.list."""
    page = client.conversations.items.list(conversation_id, order="asc", limit=100)
    return turns_from_items([as_data(item) for item in page])


def load_chain(client: OpenAI, response_id: str) -> list[Turn]:
    """The transcript of a previous_response_id chain, walked back from its last response."""
    turns: list[Turn] = []
    current: str | None = response_id
    while current and len(turns) < MAX_CHAIN:
        response = client.responses.retrieve(current)
        inputs = [as_data(i) for i in client.responses.input_items.list(current, order="asc")]
        outputs = [as_data(o) for o in response.output]
        piece = turns_from_items(inputs + outputs)
        for turn in piece:
            turn.response_id = response.id
            turn.model = response.model
        turns[:0] = piece
        current = response.previous_response_id
    return turns


def holds(turns: list[Turn], response: Response) -> bool:
    """True when a reopened transcript already shows this response: it is done, not to be resumed."""
    # A chain's turns carry their response ids; a conversation's items carry the ids of the output
    # items the response added to it (only once it ended, so a running answer is never "held").
    if any(response.id == turn.response_id or response.id in turn.response_ids for turn in turns):
        return True
    output = {item.id for item in response.output if getattr(item, "id", None)}
    shown = {item.id for turn in turns for item in turn.items}
    return bool(output) and output <= shown
