"""Thumbs up or down and a comment on one's own responses, in the history database (owner-scoped)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select

from .queries import utc_day, where
from .records import ResponseFilter
from .schema import feedback, responses

if TYPE_CHECKING:
    from .history import HistoryStore

GOOD, BAD = 1, 0
RATING_FILTERS = ("good", "bad", "unrated")  # ResponseFilter.rating values, as History's filter offers them


class Feedback:
    """One rating per response; only the response's owner may rate it, see it or change it."""

    def __init__(self, store: HistoryStore) -> None:
        self._store = store

    def set(self, owner: str, response_id: str, rating: int | None, comment: str | None = None) -> bool:
        """Rate (GOOD or BAD, with an optional comment) or clear (None); False if the owner has no such response."""
        if rating not in (GOOD, BAD, None):
            raise ValueError(f"rating must be {GOOD}, {BAD} or None, got {rating!r}")
        mine = select(responses.c.id).where(responses.c.id == response_id, responses.c.owner == owner)
        with self._store.writing() as conn:
            if conn.execute(mine).first() is None:
                return False
            conn.execute(delete(feedback).where(feedback.c.response_id == response_id))
            if rating is not None:
                conn.execute(
                    insert(feedback).values(
                        response_id=response_id,
                        owner=owner,
                        rating=rating,
                        comment=(comment or "").strip() or None,
                        updated_at=self._store.now(),
                    )
                )
        return True

    def get(self, owner: str, response_id: str) -> dict[str, Any] | None:
        """The owner's rating of one response: {rating, comment, updated_at}, or None."""
        stmt = select(feedback.c.rating, feedback.c.comment, feedback.c.updated_at).where(
            feedback.c.owner == owner, feedback.c.response_id == response_id
        )
        with self._store.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return dict(row._mapping) if row else None

    def ratings(self, owner: str, response_ids: list[str]) -> dict[str, int]:
        """The ratings of some of the owner's responses (one page of a table), by response id."""
        if not response_ids:
            return {}
        stmt = select(feedback.c.response_id, feedback.c.rating).where(
            feedback.c.owner == owner, feedback.c.response_id.in_(response_ids)
        )
        with self._store.engine.connect() as conn:
            return {r.response_id: r.rating for r in conn.execute(stmt)}

    def daily_share(self, f: ResponseFilter) -> list[dict[str, Any]]:
        """Per UTC day and model of the filtered responses: how many were rated and how many good."""
        dialect = self._store.engine.dialect.name
        day = utc_day(dialect).label("day")
        stmt = (
            select(
                day,
                responses.c.model,
                func.count().label("rated"),
                func.coalesce(func.sum(feedback.c.rating), 0).label("good"),
            )
            .select_from(responses.join(feedback, feedback.c.response_id == responses.c.id))
            .where(where(f, dialect), feedback.c.owner == f.owner)
            .group_by(day, responses.c.model)
            .order_by(day, responses.c.model)
        )
        with self._store.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
        for r in rows:
            r["day"] = date.fromisoformat(r["day"]) if isinstance(r["day"], str) else r["day"]
            r["good"] = int(r["good"])
        return rows
