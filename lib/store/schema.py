"""The current shape of the history tables, as the queries see it (migrations build it)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on engines with (PostgreSQL) and without (SQLite) zones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware UTC datetime")
        value = value.astimezone(UTC)
        # SQLite keeps text; a fixed-width naive UTC string sorts and compares correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def json_type():
    """JSON text on SQLite, JSONB on PostgreSQL (so array elements can be queried)."""
    return JSON().with_variant(JSONB(), "postgresql")


metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("applied_at", UtcDateTime, nullable=False),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("owner", String(320), nullable=False),
    Column("title", Text),
    Column("model", String(200)),
    Column("status", String(20), nullable=False),
    Column("metadata", json_type(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=False),
    Column("parent_conversation_id", String(200)),  # a branch or fork: the conversation it was copied from
    Column("parent_response_id", String(200)),  # ... and the last response it holds of that one, when known
    Index("ix_conversations_owner_last_used", "owner", "last_used_at"),
    Index("ix_conversations_owner_parent", "owner", "parent_conversation_id"),
)

responses = Table(
    "responses",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("conversation_id", String(200), ForeignKey("conversations.id", ondelete="CASCADE")),
    Column("previous_response_id", String(200)),
    Column("owner", String(320), nullable=False),
    Column("model", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("input_tokens", Integer, nullable=False),
    Column("cached_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("reasoning_tokens", Integer, nullable=False),
    Column("cost_usd", Float),
    Column("latency_ms", Integer),
    Column("ttft_ms", Integer),
    Column("tools", json_type(), nullable=False),
    Column("input_preview", Text, nullable=False),
    Column("output_preview", Text, nullable=False),
    Column("error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("cache_write_tokens", Integer, nullable=False, server_default="0"),  # migration 6
    Column("tag", String(40)),  # migration 8: "compare" for a Compare run's responses, else NULL
    # Newest first (the table's default order) and the latency chart, index-only, also per model.
    Index("ix_responses_owner_created_latency", "owner", "created_at", "id", "latency_ms"),
    Index("ix_responses_owner_model_created_latency", "owner", "model", "created_at", "id", "latency_ms"),
    Index("ix_responses_owner_status", "owner", "status"),
    Index("ix_responses_owner_conversation", "owner", "conversation_id"),
    Index("ix_responses_owner_tag_created", "owner", "tag", "created_at"),
)

# Kept by triggers on responses (migration 5) in the same transaction as every insert, update and
# delete, so the History page's totals, charts and filter choices read a few rows per day, not the table.
response_days = Table(
    "response_days",
    metadata,
    Column("owner", String(320), primary_key=True),
    Column("day", String(10), primary_key=True),  # the UTC day of created_at, YYYY-MM-DD
    Column("model", String(200), primary_key=True),
    Column("status", String(20), primary_key=True),
    Column("responses", Integer, nullable=False),  # 0 once every such response is deleted
    Column("input_tokens", BigInteger, nullable=False),
    Column("cached_tokens", BigInteger, nullable=False),
    Column("output_tokens", BigInteger, nullable=False),
    Column("reasoning_tokens", BigInteger, nullable=False),
    Column("cost_nano_usd", BigInteger, nullable=False),  # whole billionths: adding and taking back stay exact
)

response_tools = Table(
    "response_tools",
    metadata,
    Column("owner", String(320), primary_key=True),
    Column("tool", String(200), primary_key=True),
    Column("responses", Integer, nullable=False),  # responses of the owner that used the tool
)

profiles = Table(
    "profiles",
    metadata,
    Column("owner", String(320), primary_key=True),
    Column("name", String(200), primary_key=True),
    Column("data", json_type(), nullable=False),  # everything but the key; see lib/profile_format.py
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

vector_store_owners = Table(
    "vector_store_owners",
    metadata,
    Column("store_id", String(200), primary_key=True),  # the API's id, vs_…
    Column("owner", String(320), nullable=False),  # lib.store.owner_for of whoever created it in the app
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_vector_store_owners_owner", "owner"),
)

spend = Table(
    "spend",
    metadata,
    Column("identity", String(320), primary_key=True),  # who is capped: see lib/budget.py identity
    Column("period", String(20), primary_key=True),  # the UTC day, YYYY-MM-DD
    Column("nano_usd", BigInteger, nullable=False),  # whole billionths of a dollar: sums stay exact
    Column("updated_at", UtcDateTime, nullable=False),
)

prompt_versions = Table(
    "prompt_versions",
    metadata,
    Column("owner", String(320), primary_key=True),
    Column("name", String(200), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),  # 1, 2, …: a save never rewrites one
    Column("instructions", Text, nullable=False),
    Column("user_message", Text, nullable=False),
    Column("variables", json_type(), nullable=False),  # variable -> default value
    Column("source", String(300), nullable=False),  # "", "import", "restore of v2", "OpenAI prompt pmpt_…"
    Column("created_at", UtcDateTime, nullable=False),
)

feedback = Table(
    "feedback",
    metadata,
    # One rating per response: a response has one owner, so the owner is the response's (checked on write).
    Column("response_id", String(200), ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True),
    Column("owner", String(320), nullable=False),
    Column("rating", Integer, nullable=False),  # 1 good, 0 bad; no row: unrated
    Column("comment", Text),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_feedback_owner_rating", "owner", "rating"),
)

eval_datasets = Table(
    "eval_datasets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner", String(320), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ux_eval_datasets_owner_name", "owner", "name", unique=True),
)

eval_rows = Table(
    "eval_rows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset_id", Integer, ForeignKey("eval_datasets.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),  # the row's place in the dataset, as the editor shows it
    Column("input", Text, nullable=False),  # the user message sent
    Column("expected", Text),  # the expected output, for graders that compare
    Column("notes", Text),  # reference notes, for a judge model
    Column("source_response_id", String(200)),  # the History response it came from, if any
    Index("ix_eval_rows_dataset_position", "dataset_id", "position"),
)

eval_runs = Table(
    "eval_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner", String(320), nullable=False),
    Column("dataset_id", Integer, ForeignKey("eval_datasets.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("config", json_type(), nullable=False),  # profiles (settings without secrets) and graders
    Column("status", String(20), nullable=False),  # running, stopped, done
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_eval_runs_owner_created", "owner", "created_at"),
)

eval_results = Table(
    "eval_results",
    metadata,
    Column("run_id", Integer, ForeignKey("eval_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("row_id", Integer, primary_key=True),  # an eval_rows id (kept if the row is later deleted)
    Column("profile", String(200), primary_key=True),
    Column("status", String(20), nullable=False),  # the response's status, or failed
    Column("output", Text, nullable=False),
    Column("error", Text),
    Column("response_id", String(200)),
    Column("verdicts", json_type(), nullable=False),  # one {grader, passed, score, reasoning} per grader
    Column("passed", Integer),  # 1 when every grader passed, 0 otherwise
    Column("score", Float),  # mean of the graders' scores
    Column("input_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("cost_usd", Float),
    Column("latency_ms", Integer),
    Column("created_at", UtcDateTime, nullable=False),
)
