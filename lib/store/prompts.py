"""Prompt templates and every saved version of them, owner-scoped, in the history database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select

from lib.identity import ANONYMOUS
from lib.prompt_templates import PromptVersion

from .schema import prompt_versions as table

if TYPE_CHECKING:
    from .history import HistoryStore


class PromptTemplates:
    """Versions are only ever added: a save, a restore or an import makes the next number."""

    def __init__(self, store: HistoryStore) -> None:
        self._store = store

    def names(self, owner: str) -> list[str]:
        """The owner's template names, alphabetically."""
        query = select(table.c.name).where(table.c.owner == owner).group_by(table.c.name).order_by(table.c.name)
        with self._store.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def versions(self, owner: str, name: str) -> list[PromptVersion]:
        """Every version of one template, newest first."""
        query = select(table).where(table.c.owner == owner, table.c.name == name).order_by(table.c.version.desc())
        with self._store.engine.connect() as conn:
            return [_version(row) for row in conn.execute(query).mappings()]

    def get(self, owner: str, name: str, version: int | None = None) -> PromptVersion | None:
        """One version (the latest when `version` is None), or None."""
        query = select(table).where(table.c.owner == owner, table.c.name == name)
        query = query.where(table.c.version == version) if version else query.order_by(table.c.version.desc())
        with self._store.engine.connect() as conn:
            row = conn.execute(query.limit(1)).mappings().first()
        return _version(row) if row else None

    def save(self, owner: str, draft: PromptVersion) -> PromptVersion:
        """Store `draft` as the template's next version and return it; unchanged text adds nothing."""
        if owner.startswith(ANONYMOUS):
            raise ValueError("prompt templates are not kept for an anonymous visitor")
        if not draft.name.strip():
            raise ValueError("a prompt template needs a name")
        latest = self.get(owner, draft.name)
        if latest is not None and latest.same_text(draft):
            return latest
        with self._store.writing() as conn:
            top = conn.execute(
                select(func.max(table.c.version)).where(table.c.owner == owner, table.c.name == draft.name)
            ).scalar()
            row: dict[str, Any] = {
                "owner": owner,
                "name": draft.name,
                "version": (top or 0) + 1,
                "instructions": draft.instructions,
                "user_message": draft.user_message,
                "variables": dict(draft.defaults),
                "source": draft.source,
                "created_at": self._store.now(),
            }
            conn.execute(insert(table).values(**row))
        return _version(row)

    def restore(self, owner: str, name: str, version: int) -> PromptVersion:
        """Make an old version the latest again, as a new version (history is never rewritten)."""
        old = self.get(owner, name, version)
        if old is None:
            raise KeyError(f"{name} has no version {version}")
        return self.save(
            owner,
            PromptVersion(name, 0, old.instructions, old.user_message, old.defaults, source=f"restore of v{version}"),
        )

    def delete(self, owner: str, name: str) -> int:
        """Delete a template with all its versions; the number of versions deleted."""
        with self._store.writing() as conn:
            return conn.execute(delete(table).where(table.c.owner == owner, table.c.name == name)).rowcount

    def everything(self, owner: str) -> list[PromptVersion]:
        """Every version of every template of the owner (for the export)."""
        with self._store.engine.connect() as conn:
            rows = conn.execute(
                select(table).where(table.c.owner == owner).order_by(table.c.name, table.c.version)
            ).mappings()
            return [_version(row) for row in rows]


def _version(row: Any) -> PromptVersion:
    return PromptVersion(
        name=row["name"],
        version=row["version"],
        instructions=row["instructions"],
        user_message=row["user_message"],
        defaults=dict(row["variables"] or {}),
        source=row["source"] or "",
        created_at=row["created_at"],
    )
