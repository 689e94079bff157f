"""What an endpoint can do, found out once per client, so missing features are said, not hit mid-chat."""

from __future__ import annotations

from dataclasses import dataclass

import openai
from openai import OpenAI

MISSING = (404, 405, 501)
NO_CONVERSATIONS = "This server has no Conversations API: turns are chained with previous_response_id."
NO_MODELS = "This server does not list its models: type the model's name."
NO_TOKEN_COUNT = "This server cannot count input tokens: the chat shows no count before sending."


@dataclass(frozen=True)
class Capabilities:
    """The features the app adapts to."""

    models: tuple[str, ...] | None  # None: no /models endpoint
    conversations: bool
    input_tokens: bool = True  # POST /responses/input_tokens

    @property
    def notes(self) -> list[str]:
        """One sentence per missing feature, for the Setup page and the chat."""
        return [
            note
            for ok, note in (
                (self.conversations, NO_CONVERSATIONS),
                (self.models is not None, NO_MODELS),
                (self.input_tokens, NO_TOKEN_COUNT),
            )
            if not ok
        ]


def is_missing(error: openai.APIStatusError) -> bool:
    """The endpoint is not there (as opposed to refusing this request)."""
    return error.status_code in MISSING


def counts_tokens(client: OpenAI) -> bool:
    """Whether the endpoint counts input tokens; any answer but 404/405/501 means it is there."""
    try:
        client.with_options(max_retries=0).responses.input_tokens.count(input="capability check")
    except openai.APIStatusError as error:
        return not is_missing(error)
    return True


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
        return Capabilities(models=models, conversations=False, input_tokens=counts_tokens(client))
    try:
        client.conversations.delete(conversation.id)
    except openai.APIError:
        pass  # an empty conversation left behind costs nothing
    return Capabilities(models=models, conversations=True, input_tokens=counts_tokens(client))
