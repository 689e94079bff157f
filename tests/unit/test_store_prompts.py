"""Prompt templates in the history database: versions only added, owner-scoped, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from lib.identity import ANONYMOUS
from lib.prompt_templates import PromptVersion
from lib.store import HistoryStore

A, B = "user:a@example.com", "user:b@example.com"


def test_each_save_is_a_new_version_and_unchanged_text_adds_none(history_store: HistoryStore) -> None:
    prompts = history_store.prompts
    first = prompts.save(A, PromptVersion("support", 0, "Be kind.", "", {}))
    second = prompts.save(A, PromptVersion("support", 0, "Be kind to {{name}}.", "Hi {{input}}", {"name": "Ann"}))
    again = prompts.save(A, PromptVersion("support", 0, "Be kind to {{name}}.", "Hi {{input}}", {"name": "Ann"}))
    assert (first.version, second.version, again.version) == (1, 2, 2)
    assert [(v.version, v.instructions, v.user_message, dict(v.defaults)) for v in prompts.versions(A, "support")] == [
        (2, "Be kind to {{name}}.", "Hi {{input}}", {"name": "Ann"}),
        (1, "Be kind.", "", {}),
    ]
    assert prompts.get(A, "support").version == 2
    assert prompts.get(A, "support", 1).instructions == "Be kind."
    assert prompts.get(A, "support", 7) is None


def test_restore_adds_the_old_text_as_the_newest_version(history_store: HistoryStore) -> None:
    prompts = history_store.prompts
    prompts.save(A, PromptVersion("p", 0, "one"))
    prompts.save(A, PromptVersion("p", 0, "two"))
    restored = prompts.restore(A, "p", 1)
    assert (restored.version, restored.instructions, restored.source) == (3, "one", "restore of v1")
    assert [v.instructions for v in prompts.versions(A, "p")] == ["one", "two", "one"]
    with pytest.raises(KeyError):
        prompts.restore(A, "p", 9)


def test_owners_never_see_each_others_templates(history_store: HistoryStore) -> None:
    prompts = history_store.prompts
    prompts.save(A, PromptVersion("mine", 0, "secret instructions"))
    prompts.save(B, PromptVersion("theirs", 0, "other"))
    assert prompts.names(A) == ["mine"] and prompts.names(B) == ["theirs"]
    assert prompts.get(B, "mine") is None and prompts.versions(B, "mine") == []
    assert prompts.delete(B, "mine") == 0
    assert prompts.restore(A, "mine", 1).version == 1  # unchanged text: nothing new
    assert [v.name for v in prompts.everything(A)] == ["mine"]
    assert prompts.delete(A, "mine") == 1 and prompts.names(A) == []


def test_anonymous_visitors_keep_nothing(history_store: HistoryStore) -> None:
    with pytest.raises(ValueError, match="anonymous"):
        history_store.prompts.save(ANONYMOUS + "abc", PromptVersion("x", 0, "y"))
