"""Reading recorded responses: a page, a count, totals, daily usage, latencies and what was used, all in SQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select

from .queries import (
    response_dict,
    rollup_sums,
    rollup_where,
    select_responses,
    usage_sums,
    used_models,
    used_tools,
    utc_day,
    where,
)
from .records import ResponseFilter
from .schema import response_days, responses


class ResponseReads:
    """The read side of HistoryStore for responses; every filter holds the owner."""

    _engine: Engine
    _dialect: str

    def responses(
        self,
        f: ResponseFilter,
        *,
        limit: int = 50,
        offset: int = 0,
        order_by: str = "created_at",
        descending: bool = True,
    ) -> list[dict[str, Any]]:
        """One page of the filtered responses, sorted and sliced in SQL."""
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        stmt = select_responses(f, self._dialect, order_by, descending).limit(limit).offset(offset)
        with self._engine.connect() as conn:
            return [response_dict(r) for r in conn.execute(stmt)]

    def iter_responses(
        self, f: ResponseFilter, *, batch: int = 1000, order_by: str = "created_at", descending: bool = True
    ) -> Iterator[dict[str, Any]]:
        """Every filtered response, streamed in batches (a server-side cursor on PostgreSQL)."""
        stmt = select_responses(f, self._dialect, order_by, descending)
        with self._engine.connect() as conn:
            for row in conn.execution_options(yield_per=batch).execute(stmt):
                yield response_dict(row)

    def count_responses(self, f: ResponseFilter) -> int:
        """How many responses match the filter."""
        rollup = rollup_where(f)
        if rollup is not None:
            stmt = select(rollup_sums()[0]).where(rollup)
        else:
            stmt = select(func.count()).select_from(responses).where(where(f, self._dialect))
        with self._engine.connect() as conn:
            return conn.execute(stmt).scalar_one()

    def response(self, owner: str, id: str) -> dict[str, Any] | None:
        """One response of this owner, or None."""
        stmt = select(responses).where(responses.c.owner == owner, responses.c.id == id)
        with self._engine.connect() as conn:
            row = conn.execute(stmt).first()
        return response_dict(row) if row else None

    def totals(self, f: ResponseFilter) -> dict[str, Any]:
        """Sums over the filtered responses: count, tokens, cost."""
        rollup = rollup_where(f)
        if rollup is not None:  # a few rows per day instead of every response
            stmt = select(*rollup_sums()).where(rollup)
        else:
            stmt = select(func.count().label("responses"), *usage_sums()).where(where(f, self._dialect))
        with self._engine.connect() as conn:
            return dict(conn.execute(stmt).one()._mapping)

    def daily_usage(self, f: ResponseFilter) -> list[dict[str, Any]]:
        """Per UTC day and model: responses, tokens and cost, summed in SQL."""
        rollup = rollup_where(f)
        if rollup is not None:
            day, model = response_days.c.day, response_days.c.model
            stmt = select(day, model, *rollup_sums()).where(rollup)
        else:
            day, model = utc_day(self._dialect).label("day"), responses.c.model
            stmt = select(day, model, func.count().label("responses"), *usage_sums()).where(where(f, self._dialect))
        stmt = stmt.group_by(day, model).order_by(day, model)
        with self._engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
        for r in rows:
            if isinstance(r["day"], str):
                r["day"] = date.fromisoformat(r["day"])
        return rows

    def latencies(self, f: ResponseFilter, limit: int = 5000) -> list[int]:
        """Latencies (ms) of the newest `limit` filtered responses that have one."""
        stmt = (
            select(responses.c.latency_ms)
            .where(where(f, self._dialect), responses.c.latency_ms.is_not(None))
            .order_by(responses.c.created_at.desc(), responses.c.id.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def distinct_models(self, owner: str) -> list[str]:
        """The models this owner's responses used, sorted."""
        with self._engine.connect() as conn:
            return list(conn.execute(used_models(owner)).scalars())

    def distinct_tools(self, owner: str) -> list[str]:
        """The tool types this owner's responses used, sorted."""
        with self._engine.connect() as conn:
            return list(conn.execute(used_tools(owner)).scalars())
