"""Plain values the history store takes and gives: records, filters, owners, errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

# The owner strings rows are kept under are defined with the identity rule; re-exported for the store's users.
from lib.identity import owner_for  # noqa: F401

RESPONSE_STATUSES = ("completed", "incomplete", "failed", "cancelled", "in_progress", "queued")
CONVERSATION_STATUSES = ("active", "closed", "expired")
PREVIEW_CHARS = 200
ERROR_CHARS = 2000


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class StoreError(Exception):
    """Base class of the history store's own errors."""


def closed_sentence(status: str, ttl_minutes: int | None = None) -> str:
    """What a user is told about a conversation that is closed or expired: why, and what to do."""
    if status == "expired":
        idle = f"{ttl_minutes} minutes" if ttl_minutes else "a while"
        why = f"expired after {idle} without use"
    else:
        why = "was closed"
    return f"This conversation {why}, so it takes no new messages. Start a new chat to go on."


class ConversationClosed(StoreError):
    """A turn was recorded on a conversation that is closed or expired."""

    def __init__(self, conversation_id: str, status: str, ttl_minutes: int | None = None):
        self.conversation_id = conversation_id
        self.status = status
        super().__init__(closed_sentence(status, ttl_minutes))


class OwnershipError(StoreError):
    """An id already recorded for one owner was written again under another."""


def _require_aware(name: str, value: datetime | None) -> None:
    # A naive datetime is ambiguous; refusing it beats silently shifting rows by hours.
    if value is not None and value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {value!r}")


@dataclass(frozen=True)
class ResponseRecord:
    """One finished (or failed, cancelled, ...) response as the history store keeps it."""

    id: str
    owner: str
    model: str
    status: str
    created_at: datetime = field(default_factory=utcnow)
    conversation_id: str | None = None
    previous_response_id: str | None = None
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float | None = None
    latency_ms: int | None = None
    ttft_ms: int | None = None
    tools: tuple[str, ...] = ()
    input_preview: str = ""
    output_preview: str = ""
    error: str | None = None
    cache_write_tokens: int = 0  # input written to the prompt cache (inside input_tokens, like cached_tokens)
    tag: str | None = None  # how it was made, for History's filter: "compare" for a Compare run, else None

    def __post_init__(self) -> None:
        if not self.id or not self.owner:
            raise ValueError("a response record needs an id and an owner")
        if self.status not in RESPONSE_STATUSES:
            raise ValueError(f"unknown response status {self.status!r}; expected one of {RESPONSE_STATUSES}")
        _require_aware("created_at", self.created_at)
        object.__setattr__(self, "tools", tuple(self.tools))


@dataclass(frozen=True)
class ResponseFilter:
    """Which of one owner's responses to see; `since` is inclusive, `until` exclusive."""

    owner: str
    since: datetime | None = None
    until: datetime | None = None
    models: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    conversation_id: str | None = None
    text: str | None = None
    tool: str | None = None
    tag: str | None = None
    rating: str | None = None  # "good", "bad" or "unrated" (lib/store/feedback.py)

    def __post_init__(self) -> None:
        if not self.owner:
            raise ValueError("a filter needs an owner")
        if self.rating not in (None, "good", "bad", "unrated"):
            raise ValueError(f"unknown rating filter {self.rating!r}")
        _require_aware("since", self.since)
        _require_aware("until", self.until)
        # Widgets hand over lists; keep the filter hashable (usable as a cache key).
        object.__setattr__(self, "models", tuple(self.models))
        object.__setattr__(self, "statuses", tuple(self.statuses))
        unknown = set(self.statuses) - set(RESPONSE_STATUSES)
        if unknown:
            raise ValueError(f"unknown response status(es) {sorted(unknown)}")
