"""The vector store owners table (store migration 3), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, select

from lib.store import HistoryStore, OwnershipError
from lib.store.schema import metadata as current_metadata
from lib.store.schema import schema_version, vector_store_owners

ANN, BOB = "user:ann@example.com", "user:bob@example.com"
T0 = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def test_migration_3_builds_the_table_of_the_schema(history_store: HistoryStore) -> None:
    with history_store.engine.connect() as conn:
        versions = dict(conn.execute(select(schema_version.c.version, schema_version.c.name)).all())
        found = inspect(conn)
        columns = {c["name"] for c in found.get_columns("vector_store_owners")}
        indexes = {ix["name"] for ix in found.get_indexes("vector_store_owners")}
        primary = found.get_pk_constraint("vector_store_owners")["constrained_columns"]
    assert versions[3] == "vector store owners"
    want = set(current_metadata.tables["vector_store_owners"].c.keys())
    assert columns == want == {"store_id", "owner", "created_at"}
    assert "ix_vector_store_owners_owner" in indexes and primary == ["store_id"]


def test_each_owner_sees_only_the_stores_they_created(store_url: str) -> None:
    store = HistoryStore(store_url, clock=lambda: T0)
    try:
        owners = store.vector_stores
        owners.record(ANN, "vs_ann1")
        owners.record(ANN, "vs_ann2")
        owners.record(BOB, "vs_bob1")
        owners.record(ANN, "vs_ann1")  # recorded twice (a retried click): still one row
        assert owners.ids(ANN) == {"vs_ann1", "vs_ann2"}
        assert owners.ids(BOB) == {"vs_bob1"}
        assert owners.ids("user:carol@example.com") == frozenset()
        with store.engine.connect() as conn:
            rows = conn.execute(select(vector_store_owners).order_by(vector_store_owners.c.store_id)).all()
        assert [tuple(r) for r in rows] == [("vs_ann1", ANN, T0), ("vs_ann2", ANN, T0), ("vs_bob1", BOB, T0)]
    finally:
        store.close()


def test_a_store_cannot_be_claimed_or_forgotten_by_another_owner(history_store: HistoryStore) -> None:
    owners = history_store.vector_stores
    owners.record(ANN, "vs_ann1")
    with pytest.raises(OwnershipError):
        owners.record(BOB, "vs_ann1")
    assert not owners.forget(BOB, "vs_ann1")
    assert owners.ids(ANN) == {"vs_ann1"} and owners.ids(BOB) == frozenset()
    assert owners.forget(ANN, "vs_ann1")
    assert owners.ids(ANN) == frozenset()
    assert not owners.forget(ANN, "vs_ann1")
