"""Whose vector stores a session may see and use: one pure rule over the set of ids it owns."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable
from dataclasses import replace
from typing import TypeVar

from lib.tools import ToolSettings

# The ids a session owns; None means every store the key can see is the session's own
# (the visitor's own key, or local mode), so nothing is filtered.
Owned = Collection[str] | None
T = TypeVar("T")

REFUSED = (
    "{count} vector store{s} in your settings {verb} not yours, so file search leaves {them} out. "
    "Pick your own stores on the Files page."
)


def mine(store_id: str, owned: Owned) -> bool:
    """True when the session may see and use this store."""
    return owned is None or store_id in owned


def split(store_ids: Iterable[str], owned: Owned) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ids the session may use, and those refused, each in the given order."""
    ids = tuple(store_ids)
    return tuple(i for i in ids if mine(i, owned)), tuple(i for i in ids if not mine(i, owned))


def visible(items: Iterable[T], owned: Owned, id_of: Callable[[T], str]) -> list[T]:
    """The items (stores, rows) whose id the session may see, in order."""
    return [item for item in items if mine(id_of(item), owned)]


def scoped_tools(tools: ToolSettings, owned: Owned) -> tuple[ToolSettings, tuple[str, ...]]:
    """Tool settings with only the session's own stores for file search, and the ids taken out."""
    kept, refused = split(tools.vector_store_ids, owned)
    if not refused:
        return tools, ()
    return replace(tools, vector_store_ids=kept), refused


def refused_note(refused: Collection[str]) -> str:
    """What the chat says when file search had stores taken out (the ids are not repeated)."""
    many = len(refused) != 1
    return REFUSED.format(
        count=len(refused), s="s" if many else "", verb="are" if many else "is", them="them" if many else "it"
    )


def owner_tag(owner: str) -> str:
    """The owner as a store's API metadata keeps it: a hash, never the e-mail or the key."""
    return hashlib.sha256(f"responses-studio:{owner}".encode()).hexdigest()[:32]
