"""What the chat writes to the history store: one record per response of a turn."""

from __future__ import annotations

from datetime import UTC, datetime

from lib.conversations import title_from
from lib.pricing import cost_usd
from lib.store import HistoryStore, ResponseRecord, closed_sentence
from lib.stream import Round, Turn

# Our turn states that are not API statuses, as the store records them.
STORED_STATUS = {"interrupted": "incomplete", "pending": "failed", "in_progress": "incomplete"}
NOT_TOOLS = {"message", "reasoning", "mcp_approval_response"}


def records_for(
    turn: Turn, owner: str, conversation_id: str | None, previous_response_id: str | None, tag: str | None = None
) -> list[ResponseRecord]:
    """The rows for every response the turn produced; a response cut short is recorded as it stood."""
    rounds = list(turn.rounds)
    if turn.response_id and turn.response_id not in {r.response_id for r in rounds}:
        rounds.append(
            Round(response_id=turn.response_id, status=STORED_STATUS.get(turn.status, turn.status), error=turn.error)
        )
    records = []
    now = datetime.now(UTC)
    for number, ended in enumerate(rounds):
        items = [i for i in turn.items if i.response_id == ended.response_id]
        last = number == len(rounds) - 1
        usage = ended.usage
        records.append(
            ResponseRecord(
                id=ended.response_id,
                owner=owner,
                model=turn.model or "",
                status=STORED_STATUS.get(ended.status, ended.status),
                created_at=now,
                conversation_id=conversation_id,
                previous_response_id=previous_response_id if number == 0 else rounds[number - 1].response_id,
                input_tokens=usage.input_tokens,
                cached_tokens=usage.cached_tokens,
                cache_write_tokens=usage.cache_write_tokens,
                output_tokens=usage.output_tokens,
                reasoning_tokens=usage.reasoning_tokens,
                cost_usd=(
                    cost_usd(turn.model, usage.as_api(), service_tier=ended.service_tier)
                    if usage.total_tokens
                    else None
                ),
                latency_ms=turn.latency_ms if last else None,
                ttft_ms=turn.ttft_ms if number == 0 else None,
                tools=tuple(dict.fromkeys(i.type for i in items if i.type not in NOT_TOOLS)),
                input_preview=turn.prompt,
                output_preview="\n\n".join(i.text for i in items if i.type == "message" and i.text),
                error=ended.error or (turn.error if last else None),
                tag=tag,
            )
        )
    return records


def record_turn(
    store: HistoryStore,
    owner: str,
    turn: Turn,
    conversation_id: str | None,
    previous_response_id: str | None,
    tag: str | None = None,
) -> None:
    """Write the turn's responses; the first turn of a conversation also names it."""
    for record in records_for(turn, owner, conversation_id, previous_response_id, tag):
        store.record_response(record)
    if conversation_id and not (store.conversation(owner, conversation_id) or {}).get("title"):
        store.upsert_conversation(conversation_id, owner, title=title_from(turn.prompt))


def closed_reason(store: HistoryStore, owner: str, conversation_id: str | None) -> str | None:
    """Why a conversation takes no new turns (closed, or expired after its TTL), or None if it does."""
    row = store.conversation(owner, conversation_id) if conversation_id else None
    if row and row["status"] in {"expired", "closed"}:
        return closed_sentence(row["status"], store.ttl_minutes)
    return None


HISTORY_URL_EXAMPLE = "postgresql+psycopg://user:pass@host:5432/db?sslmode=require"


def ephemeral_store_warning(mode: str, history_url: str) -> str | None:
    """The one-line warning a shared deployment on the default SQLite file gets; None when history lasts."""
    # Community Cloud wipes the container's disk on every restart and wake from sleep; locally the file
    # is the user's own, and any HISTORY_DATABASE_URL was a deliberate choice.
    if mode != "shared" or history_url:
        return None
    return (
        "History and saved profiles are in a SQLite file on this server's disk, which Streamlit Community "
        "Cloud wipes whenever the app restarts or wakes from sleep. To keep them, set HISTORY_DATABASE_URL "
        f"to a hosted PostgreSQL, e.g. {HISTORY_URL_EXAMPLE}."
    )
