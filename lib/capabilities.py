"""What an endpoint can do, found out once per client, so missing features are said, not hit mid-chat."""

from __future__ import annotations

from dataclasses import dataclass

import openai
from openai import OpenAI

MISSING = (404, 405, 501)
NO_CONVERSATIONS = "This server has no Conversations API: turns are chained with previous_response_id."
NO_MODELS = "This server does not list its models: type the model's name."


@dataclass(frozen=True)
class Capabilities:
    """The features the app adapts to."""

    models: tuple[str, ...] | None  # None: no /models endpoint
    conversations: bool

    @property
    def notes(self) -> list[str]:
        """One sentence per missing feature, for the Setup page and the chat."""
        return [note for ok, note in ((self.conversations, NO_CONVERSATIONS), (self.models is not None, NO_MODELS))
                if not ok]


def probe(client: OpenAI) -> Capabilities:
    """Ask the endpoint; a refused key raises the SDK's error (the caller explains it)."""
    try:
        models: tuple[str, ...] | None = tuple(sorted(m.id for m in client.models.list()))
    except openai.APIStatusError as error:
        if error.status_code not in MISSING:
            raise
        models = None
    try:
        # A conversation is the only way to know; it is deleted at once.
        conversation = client.conversations.create(metadata={"purpose": "capability check"})
    except openai.APIStatusError as error:
        if error.status_code not in MISSING:
            raise
        return Capabilities(models=models, conversations=False)
    try:
        client.conversations.delete(conversation.id)
    except openai.APIError:
        pass  # an empty conversation left behind costs nothing
    return Capabilities(models=models, conversations=True)
