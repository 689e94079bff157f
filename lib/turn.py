"""PURE: one chat turn as the page, the worker and the store share it: prompt, output items, status, usage."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from lib.items import Item

# The API's response statuses (queued ... cancelled), plus ours: "pending" before the first event, and
# "interrupted" when the stream broke off without the API saying how the response ended.
TurnStatus = Literal[
    "pending", "queued", "in_progress", "completed", "incomplete", "failed", "cancelled", "interrupted"
]
ENDED_RESPONSE_STATUSES: frozenset[TurnStatus] = frozenset({"completed", "incomplete", "failed", "cancelled"})


@dataclass
class Usage:
    """Token counts of one turn, summed over its responses."""

    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cache_write_tokens: int = 0  # input written to the prompt cache (billed above input on some models)

    def add(self, usage: Any) -> None:
        """Add the SDK's ResponseUsage (object or dict)."""
        data = usage if isinstance(usage, dict) else usage.model_dump()
        details = data.get("input_tokens_details") or {}
        self.input_tokens += data.get("input_tokens") or 0
        self.cached_tokens += details.get("cached_tokens") or 0
        # OpenAI's field; OpenAI-compatible servers fronting other models send Anthropic's name instead.
        self.cache_write_tokens += (
            details.get("cache_write_tokens")
            or details.get("cache_creation_input_tokens")
            or data.get("cache_creation_input_tokens")
            or 0
        )
        self.output_tokens += data.get("output_tokens") or 0
        self.reasoning_tokens += (data.get("output_tokens_details") or {}).get("reasoning_tokens") or 0

    def as_api(self) -> dict[str, Any]:
        """The counts in the API's usage shape (what pricing reads)."""
        return {
            "input_tokens": self.input_tokens,
            "input_tokens_details": {
                "cached_tokens": self.cached_tokens,
                "cache_write_tokens": self.cache_write_tokens,
            },
            "output_tokens": self.output_tokens,
            "output_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
            "total_tokens": self.total_tokens,
        }

    @property
    def total_tokens(self) -> int:
        """Input plus output (cached and reasoning are already inside them)."""
        return self.input_tokens + self.output_tokens


@dataclass
class Round:
    """One response of a turn as it ended (a turn spans several when functions are called)."""

    response_id: str
    status: str
    usage: Usage = field(default_factory=Usage)
    error: str | None = None
    service_tier: str | None = None  # the tier it ran on, as the response says (prices differ per tier)


@dataclass
class Turn:
    """One user prompt and everything the assistant produced for it."""

    prompt: str
    items: list[Item] = field(default_factory=list)
    status: TurnStatus = "pending"
    response_id: str | None = None
    response_ids: list[str] = field(default_factory=list)
    model: str | None = None
    usage: Usage | None = None
    error: str | None = None
    last_sequence: int = -1
    ttft_ms: int | None = None  # set by the caller, who owns the clock
    latency_ms: int | None = None
    cost_usd: float | None = None
    service_tier: str | None = None  # the tier the last response ran on
    structured: bool = False  # the answer follows a JSON schema
    rounds: list[Round] = field(default_factory=list)
    background: bool = False  # created with background=True: can be resumed and cancelled
    retries: int = 0  # requests retried after a rate limit or server error
    notice: str | None = None  # what is happening right now ("Retrying in 4 s…"), cleared when it passes
    requests: list[dict[str, Any]] = field(default_factory=list)  # what was sent, for "View as code"
    images: list[bytes] = field(default_factory=list)  # images attached to the prompt, for thumbnails
    id: str = field(default_factory=lambda: uuid.uuid4().hex, compare=False)  # stable keys; id() is reused

    @property
    def text(self) -> str:
        """All message text of the turn, in output order."""
        return "\n\n".join(i.text for i in self.items if i.type == "message" and i.text)

    @property
    def finished(self) -> bool:
        """True once the API said how the response ended."""
        return self.status in ENDED_RESPONSE_STATUSES

    def item(self, item_id: str | None, item_type: str = "message") -> Item:
        """The item with this id, created if an event arrives before its output_item.added."""
        for existing in reversed(self.items):
            if existing.id == item_id:
                return existing
        created = Item(id=item_id or f"item_{len(self.items)}", type=item_type, response_id=self.response_id)
        self.items.append(created)
        return created
