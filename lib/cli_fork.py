"""The terminal client's --fork: a conversation copied up to a turn, announced, its parent noted in the history."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lib.conversations import Thread, load_conversation
from lib.forking import copy_until
from lib.settings import Settings
from lib.stream import Turn

if TYPE_CHECKING:
    from openai import OpenAI


def open_fork(client: OpenAI, parent_id: str, at: int | None) -> tuple[Thread, list[Turn], str | None]:
    """A new conversation holding the first `at` turns of `parent_id` (all when None), its turns, what was not carried.

    Raises ValueError when the conversation has fewer turns, openai.APIError when the API refuses.
    """
    turns = len(load_conversation(client, parent_id)) if at is None else at
    copy = copy_until(client, parent_id, turns, f"Fork of {parent_id}")
    return Thread(conversation_id=copy.conversation_id), load_conversation(client, copy.conversation_id), copy.note


def announce(
    console: Any,
    settings: Settings,
    cwd: Path,
    conversation_id: str,
    parent_id: str,
    turns: int,
    note: str | None,
    *,
    record: bool,
) -> None:
    """Say what was forked (and what could not be carried); note the parent in the app's history if it records."""
    console.write(f"Forked {parent_id} at turn {turns} into a new conversation.\n")
    if note:
        console.note(note)
    if not record:
        return
    from lib.identity import local_owner
    from lib.store import HistoryStore, default_url

    try:
        store = HistoryStore(settings.history_url or default_url(cwd), ttl_minutes=settings.ttl_minutes)
        try:  # the owner the app gives this key in local mode, as the turns' records have it
            store.upsert_conversation(
                conversation_id,
                local_owner(settings.api_key),
                title=f"Fork of {parent_id}",
                model=settings.model,
                parent_conversation_id=parent_id,
            )
        finally:
            store.close()
    except Exception as error:  # noqa: BLE001 - a history problem must not end the chat
        console.write(f"! Not recorded in the history: {error}\n")
