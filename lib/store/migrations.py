"""Numbered forward migrations of the history database, run at start-up."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    text,
)

from .records import utcnow
from .schema import UtcDateTime, json_type, schema_version

# Arbitrary first key of PostgreSQL's two-int advisory lock; the second is the schema's hash,
# so stores in different schemas of one database do not wait on each other.
_PG_LOCK_NAMESPACE = 0x52_53_48_53


def _v1_initial(conn: Connection) -> None:
    # Frozen copy of the first schema: later changes go in new migrations, never here.
    md = MetaData()
    Table(
        "conversations",
        md,
        Column("id", String(200), primary_key=True),
        Column("owner", String(320), nullable=False),
        Column("title", Text),
        Column("model", String(200)),
        Column("status", String(20), nullable=False),
        Column("metadata", json_type(), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
        Column("last_used_at", UtcDateTime, nullable=False),
        Index("ix_conversations_owner_last_used", "owner", "last_used_at"),
    )
    Table(
        "responses",
        md,
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
        Index("ix_responses_owner_created", "owner", "created_at"),
        Index("ix_responses_owner_model", "owner", "model"),
        Index("ix_responses_owner_status", "owner", "status"),
        Index("ix_responses_owner_conversation", "owner", "conversation_id"),
    )
    md.create_all(conn)


def _v2_profiles(conn: Connection) -> None:
    md = MetaData()
    Table(
        "profiles",
        md,
        Column("owner", String(320), primary_key=True),
        Column("name", String(200), primary_key=True),
        Column("data", json_type(), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    )
    md.create_all(conn)


def _v3_vector_store_owners(conn: Connection) -> None:
    # Who created each vector store through the app: on the owner's key, the only stores a person sees.
    md = MetaData()
    Table(
        "vector_store_owners",
        md,
        Column("store_id", String(200), primary_key=True),
        Column("owner", String(320), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Index("ix_vector_store_owners_owner", "owner"),
    )
    md.create_all(conn)


def _v4_spend(conn: Connection) -> None:
    # Stands alone: it reads and changes no other table, so it runs the same with or without v3.
    md = MetaData()
    Table(
        "spend",
        md,
        Column("identity", String(320), primary_key=True),
        Column("period", String(20), primary_key=True),
        Column("nano_usd", BigInteger, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    )
    md.create_all(conn)


MIGRATIONS: tuple[tuple[int, str, Callable[[Connection], None]], ...] = (
    (1, "conversations and responses", _v1_initial),
    (2, "profiles", _v2_profiles),
    (3, "vector store owners", _v3_vector_store_owners),
    (4, "spend per identity and period", _v4_spend),
)
LATEST_VERSION = MIGRATIONS[-1][0]


def migrate(engine: Engine) -> int:
    """Bring the database up to LATEST_VERSION in one transaction; return the version."""
    # On SQLite the write engine begins IMMEDIATE, so a second process waits for the first.
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text("SELECT pg_advisory_xact_lock(:ns, hashtext(current_schema()))"),
                {"ns": _PG_LOCK_NAMESPACE},
            )
        schema_version.create(conn, checkfirst=True)
        applied = set(conn.execute(select(schema_version.c.version)).scalars())
        current = max(applied, default=0)
        if current > LATEST_VERSION:
            raise RuntimeError(
                f"the history database is at schema version {current}, newer than this app "
                f"knows ({LATEST_VERSION}); upgrade the app or point HISTORY_DATABASE_URL elsewhere"
            )
        for version, name, step in MIGRATIONS:
            # Every missing step, not just those above the highest: numbers written on parallel
            # branches (3 and 4) may land in either order.
            if version not in applied:
                step(conn)
                conn.execute(insert(schema_version).values(version=version, name=name, applied_at=utcnow()))
    return LATEST_VERSION
