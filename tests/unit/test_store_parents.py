"""Migration 7: a conversation made by a branch or fork records its parent, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect, select, text

from lib.store import HistoryStore
from lib.store.migrations import MIGRATIONS, migrate
from lib.store.schema import conversations, schema_version
from tests.db import history_store, store_url  # noqa: F401 - fixtures

ANN, BOB = "user:ann@example.com", "user:bob@example.com"


def test_a_fork_records_its_parent_and_lists_it(history_store: HistoryStore) -> None:  # noqa: F811
    history_store.upsert_conversation("conv_root", ANN, title="Root")
    history_store.upsert_conversation(
        "conv_fork", ANN, title="Fork", parent_conversation_id="conv_root", parent_response_id="resp_2"
    )
    with history_store.engine.connect() as conn:
        rows = conn.execute(
            select(
                conversations.c.id, conversations.c.parent_conversation_id, conversations.c.parent_response_id
            ).order_by(conversations.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [("conv_fork", "conv_root", "resp_2"), ("conv_root", None, None)]
    listed = {row["id"]: row for row in history_store.conversations(ANN)}
    assert listed["conv_fork"]["parent_conversation_id"] == "conv_root"
    assert listed["conv_fork"]["parent_response_id"] == "resp_2"
    assert listed["conv_root"]["parent_conversation_id"] is None
    assert history_store.conversation(ANN, "conv_fork")["parent_conversation_id"] == "conv_root"
    # Another owner sees nothing of it.
    assert history_store.conversation(BOB, "conv_fork") is None and history_store.conversations(BOB) == []


def test_a_later_update_keeps_the_parent(history_store: HistoryStore) -> None:  # noqa: F811
    history_store.upsert_conversation("conv_fork", ANN, parent_conversation_id="conv_root")
    history_store.upsert_conversation("conv_fork", ANN, title="Renamed")
    row = history_store.conversation(ANN, "conv_fork")
    assert (row["title"], row["parent_conversation_id"], row["parent_response_id"]) == ("Renamed", "conv_root", None)


def test_migration_7_adds_the_columns_to_a_database_at_version_5(store_url: str) -> None:  # noqa: F811
    store = HistoryStore(store_url)
    engine = store.engine
    with engine.begin() as conn:  # undo 7 to stand where a database made before it stands
        conn.execute(text("DROP INDEX ix_conversations_owner_parent"))
        for column in ("parent_conversation_id", "parent_response_id"):
            conn.execute(text(f"ALTER TABLE conversations DROP COLUMN {column}"))
        conn.execute(schema_version.delete().where(schema_version.c.version == 7))
        conn.execute(
            text(
                "INSERT INTO conversations (id, owner, status, metadata, created_at, updated_at, "
                "last_used_at) VALUES ('conv_old', 'o', 'active', '{}', '2026-01-01 00:00:00', "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
    assert migrate(engine.execution_options(isolation_level="SERIALIZABLE")) == MIGRATIONS[-1][0]
    with engine.connect() as conn:
        names = {c["name"] for c in inspect(conn).get_columns("conversations")}
        assert {"parent_conversation_id", "parent_response_id"} <= names
        assert 7 in conn.execute(select(schema_version.c.version)).scalars().all()
        old = conn.execute(select(conversations.c.parent_conversation_id).where(conversations.c.id == "conv_old"))
        assert old.scalar_one() is None
    store.close()
