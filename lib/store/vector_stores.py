"""Who created each vector store through the app, in the history database (owner-scoped)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select

from .records import OwnershipError
from .schema import vector_store_owners as owners

if TYPE_CHECKING:
    from .history import HistoryStore


class VectorStoreOwners:
    """One row per store the app created: its id and the owner who created it."""

    def __init__(self, store: HistoryStore) -> None:
        self._store = store

    def record(self, owner: str, store_id: str) -> None:
        """Note that `owner` created `store_id`; again for the same owner is a no-op, for another an error."""
        with self._store.writing() as conn:
            found = conn.execute(select(owners.c.owner).where(owners.c.store_id == store_id)).scalar()
            if found is None:
                conn.execute(insert(owners).values(store_id=store_id, owner=owner, created_at=self._store.now()))
            elif found != owner:
                raise OwnershipError(f"vector store {store_id} is recorded under another owner")

    def ids(self, owner: str) -> frozenset[str]:
        """The ids of every store this owner created."""
        with self._store.engine.connect() as conn:
            return frozenset(conn.execute(select(owners.c.store_id).where(owners.c.owner == owner)).scalars())

    def forget(self, owner: str, store_id: str) -> bool:
        """Drop the record of a deleted store; False if this owner had no such store."""
        with self._store.writing() as conn:
            stmt = delete(owners).where(owners.c.owner == owner, owners.c.store_id == store_id)
            return conn.execute(stmt).rowcount > 0
