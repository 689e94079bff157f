"""Money spent on the owner's key, per identity and period, in the history database."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from .records import StoreError, utcnow
from .schema import spend

if TYPE_CHECKING:
    from .history import HistoryStore

NANO = 1_000_000_000  # stored as whole billionths of a dollar: integer sums are exact under concurrency


def to_nano(usd: float) -> int:
    """Dollars as whole billionths, rounded away from zero (a charge is never rounded down to free)."""
    scaled = usd * NANO
    return math.ceil(scaled) if scaled >= 0 else -math.ceil(-scaled)


class Spend:
    """One counter per (identity, period); every change is one atomic upsert, so replicas agree."""

    def __init__(self, store: HistoryStore) -> None:
        self._store = store

    def add(self, identity: str, period: str, usd: float) -> float:
        """Add `usd` (may be negative, to give back a reservation) and return the new total."""
        nano = to_nano(usd)
        insert = pg_insert if self._store.engine.dialect.name == "postgresql" else sqlite_insert
        row = insert(spend).values(identity=identity, period=period, nano_usd=nano, updated_at=utcnow())
        # The addition happens inside the database, under the row's lock: two writers never
        # read the same old total (a read-then-write in Python would lose one of them).
        statement = row.on_conflict_do_update(
            index_elements=[spend.c.identity, spend.c.period],
            set_={"nano_usd": spend.c.nano_usd + row.excluded.nano_usd, "updated_at": row.excluded.updated_at},
        ).returning(spend.c.nano_usd)
        try:
            with self._store.writing() as conn:
                return conn.execute(statement).scalar_one() / NANO
        except SQLAlchemyError as error:  # the cap fails closed on this: callers get one error type
            raise StoreError(f"the spend counter could not be updated ({type(error).__name__})") from error

    def spent(self, identity: str, period: str) -> float:
        """Dollars counted for this identity in this period (0 when nothing is)."""
        query = select(spend.c.nano_usd).where(spend.c.identity == identity, spend.c.period == period)
        try:
            with self._store.engine.connect() as conn:
                return (conn.execute(query).scalar() or 0) / NANO
        except SQLAlchemyError as error:
            raise StoreError(f"the spend counter could not be read ({type(error).__name__})") from error
