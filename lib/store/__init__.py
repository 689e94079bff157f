"""The history store: the app's own record of responses and conversations (no Streamlit here)."""

from __future__ import annotations

from .engine import default_url, make_engine
from .history import HistoryStore
from .migrations import LATEST_VERSION, migrate
from .queries import SORTABLE
from .records import (
    CONVERSATION_STATUSES,
    PREVIEW_CHARS,
    RESPONSE_STATUSES,
    ConversationClosed,
    OwnershipError,
    ResponseFilter,
    ResponseRecord,
    StoreError,
    closed_sentence,
    owner_for,
)

__all__ = [
    "CONVERSATION_STATUSES",
    "LATEST_VERSION",
    "PREVIEW_CHARS",
    "RESPONSE_STATUSES",
    "SORTABLE",
    "ConversationClosed",
    "HistoryStore",
    "OwnershipError",
    "ResponseFilter",
    "ResponseRecord",
    "StoreError",
    "closed_sentence",
    "default_url",
    "make_engine",
    "migrate",
    "owner_for",
]
