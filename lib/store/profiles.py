"""Saved profiles: named settings (everything but secrets), owner-scoped, in the history database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update

from lib.identity import ANONYMOUS

from .records import utcnow
from .schema import profiles

if TYPE_CHECKING:
    from .history import HistoryStore


class Profiles:
    """One owner's profiles never show for another; names are unique per owner."""

    def __init__(self, store: HistoryStore) -> None:
        self._store = store

    def names(self, owner: str) -> list[str]:
        """The owner's profile names, alphabetically."""
        with self._store.engine.connect() as conn:
            query = select(profiles.c.name).where(profiles.c.owner == owner).order_by(profiles.c.name)
            return list(conn.execute(query).scalars())

    def get(self, owner: str, name: str) -> dict[str, Any] | None:
        """A profile's data, or None."""
        with self._store.engine.connect() as conn:
            query = select(profiles.c.data).where(profiles.c.owner == owner, profiles.c.name == name)
            return conn.execute(query).scalar()

    def save(self, owner: str, name: str, data: dict[str, Any]) -> None:
        """Create or replace a profile; an anonymous visitor's would be lost, or planted for the next one."""
        if owner.startswith(ANONYMOUS):
            raise ValueError("profiles are not kept for an anonymous visitor")
        now = utcnow()
        with self._store.writing() as conn:
            changed = conn.execute(
                update(profiles)
                .where(profiles.c.owner == owner, profiles.c.name == name)
                .values(data=data, updated_at=now)
            ).rowcount
            if not changed:
                conn.execute(insert(profiles).values(owner=owner, name=name, data=data, created_at=now, updated_at=now))

    def rename(self, owner: str, name: str, new_name: str) -> bool:
        """Rename a profile; False if it is missing or the new name is taken."""
        if self.get(owner, new_name) is not None:
            return False
        with self._store.writing() as conn:
            return bool(
                conn.execute(
                    update(profiles)
                    .where(profiles.c.owner == owner, profiles.c.name == name)
                    .values(name=new_name, updated_at=utcnow())
                ).rowcount
            )

    def delete(self, owner: str, name: str) -> bool:
        """Delete a profile; False if there was none."""
        with self._store.writing() as conn:
            deleted = conn.execute(delete(profiles).where(profiles.c.owner == owner, profiles.c.name == name))
            return bool(deleted.rowcount)
