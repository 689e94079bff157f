"""HistoryStore: every response and conversation the app has seen, scoped by owner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, delete, func, select, update

from .engine import WRITE, make_engine, write_lock
from .evals import Evals
from .feedback import Feedback
from .migrations import migrate
from .profiles import Profiles
from .prompts import PromptTemplates
from .queries import (
    expire_idle,
    response_row,
    select_conversations,
    set_status,
    write_statements,
)
from .records import (
    CONVERSATION_STATUSES,
    ConversationClosed,
    OwnershipError,
    ResponseRecord,
    utcnow,
)
from .response_reads import ResponseReads
from .schema import conversations, responses
from .spend import Spend
from .vector_stores import VectorStoreOwners


def _check_status(status: str | None) -> None:
    if status is not None and status not in CONVERSATION_STATUSES:
        raise ValueError(f"unknown conversation status {status!r}; expected one of {CONVERSATION_STATUSES}")


class HistoryStore(ResponseReads):
    """The app's own index of responses and conversations, on SQLite or PostgreSQL (response reads: ResponseReads)."""

    def __init__(
        self,
        url: str,
        *,
        ttl_minutes: int | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if ttl_minutes is not None and ttl_minutes < 0:
            raise ValueError("ttl_minutes must be positive, or None/0 for no expiry")
        self.ttl_minutes = ttl_minutes or None
        self._clock = clock
        self._engine = make_engine(url)
        self._write_engine = self._engine.execution_options(**WRITE)
        self._dialect = self._engine.dialect.name
        self._write_lock = write_lock(self._engine)
        self._sql = write_statements(self._dialect)
        try:
            self.schema_version = migrate(self._write_engine)
        except BaseException:
            self._engine.dispose()
            raise

    @property
    def engine(self):
        """The SQLAlchemy engine (for benchmarks and tests; the app should not need it)."""
        return self._engine

    @property
    def profiles(self) -> Profiles:
        """Saved profiles, in the same database."""
        return Profiles(self)

    @property
    def prompts(self) -> PromptTemplates:
        """Prompt templates and their versions, in the same database."""
        return PromptTemplates(self)

    @property
    def evals(self) -> Evals:
        """Eval datasets, runs and results, in the same database."""
        return Evals(self)

    @property
    def feedback(self) -> Feedback:
        """Ratings of responses by their owners, in the same database."""
        return Feedback(self)

    @property
    def vector_stores(self) -> VectorStoreOwners:
        """Who created each vector store through the app, in the same database."""
        return VectorStoreOwners(self)

    def now(self) -> datetime:
        """The store's clock (UTC), for rows its companion modules write."""
        return self._clock()

    def writing(self) -> AbstractContextManager[Connection]:
        """One write transaction, serialised like the store's own writes (for its companion modules)."""
        return self._write()

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    @property
    def spend(self) -> Spend:
        """Money spent on the owner's key per identity and period, in the same database."""
        return Spend(self)

    # -- writing ---------------------------------------------------------------------------

    def record_response(self, record: ResponseRecord) -> None:
        """Insert or update one response; create or touch its conversation.

        Raises ConversationClosed for a new turn on a closed or expired conversation (the
        expiry itself is saved first); updating an already recorded response is allowed.
        """
        now = self._clock()
        row = response_row(record)
        refused: ConversationClosed | None = None
        with self._write() as conn:
            if record.conversation_id:
                refused = self._admit_turn(conn, record, record.conversation_id, now)
            # No row back: the id exists under another owner and the upsert's WHERE refused it.
            if refused is None and conn.execute(self._sql.upsert_response, row).first() is None:
                raise OwnershipError(f"response {record.id} is recorded under another owner")
        if refused is not None:
            raise refused

    def upsert_conversation(
        self,
        id: str,
        owner: str,
        *,
        title: str | None = None,
        model: str | None = None,
        metadata: dict[str, Any] | None = None,
        parent_conversation_id: str | None = None,
        parent_response_id: str | None = None,
    ) -> None:
        """Create a conversation, or update the given fields of an existing one (None = keep)."""
        now = self._clock()
        given = (
            ("title", title),
            ("model", model),
            ("metadata", metadata),
            ("parent_conversation_id", parent_conversation_id),
            ("parent_response_id", parent_response_id),
        )
        with self._write() as conn:
            self._lock_conversation(conn, id, owner, now, model=model, title=title, metadata=metadata)
            changes = {k: v for k, v in given if v is not None}
            if changes:
                conn.execute(update(conversations).where(conversations.c.id == id).values(updated_at=now, **changes))

    def set_conversation_status(self, owner: str, id: str, status: str) -> bool:
        """Close, reopen or expire a conversation; False if the owner has no such conversation."""
        _check_status(status)
        with self._write() as conn:
            return conn.execute(set_status(owner, id, status, self._clock())).rowcount > 0

    def rename_conversation(self, owner: str, id: str, title: str) -> bool:
        """Set a conversation's title; False if the owner has no such conversation."""
        stmt = (
            update(conversations)
            .where(conversations.c.owner == owner, conversations.c.id == id)
            .values(title=title, updated_at=self._clock())
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount > 0

    def delete_conversation(self, owner: str, id: str) -> bool:
        """Delete a conversation and its recorded responses; False if the owner has none such."""
        with self._write() as conn:
            conn.execute(delete(responses).where(responses.c.owner == owner, responses.c.conversation_id == id))
            stmt = delete(conversations).where(conversations.c.owner == owner, conversations.c.id == id)
            return conn.execute(stmt).rowcount > 0

    def delete_response(self, owner: str, id: str) -> bool:
        """Delete one recorded response; False if the owner has no such response."""
        with self._write() as conn:
            stmt = delete(responses).where(responses.c.owner == owner, responses.c.id == id)
            return conn.execute(stmt).rowcount > 0

    # -- conversations -------------------------------------------------------------------------

    def conversations(
        self, owner: str, *, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[dict[str, Any]]:
        """This owner's conversations, last used first, with turns, tokens and cost."""
        _check_status(status)
        self._expire_idle(owner)
        order = (conversations.c.last_used_at.desc(), conversations.c.id)
        page = select(conversations.c.id).where(conversations.c.owner == owner)
        if status is not None:
            page = page.where(conversations.c.status == status)
        stmt = select_conversations(owner, page.order_by(*order).limit(limit).offset(offset)).order_by(*order)
        with self._engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def count_conversations(self, owner: str, *, status: str | None = None) -> int:
        """How many conversations this owner has (of a status)."""
        _check_status(status)
        self._expire_idle(owner)
        stmt = select(func.count()).select_from(conversations).where(conversations.c.owner == owner)
        if status is not None:
            stmt = stmt.where(conversations.c.status == status)
        with self._engine.connect() as conn:
            return conn.execute(stmt).scalar_one()

    def conversation(self, owner: str, id: str) -> dict[str, Any] | None:
        """One conversation with its aggregates, or None; marks it expired first if idle too long."""
        self._expire_idle(owner, id)
        stmt = select_conversations(owner, select(conversations.c.id).where(conversations.c.id == id))
        with self._engine.connect() as conn:
            row = conn.execute(stmt).first()
        return dict(row._mapping) if row else None

    # -- internals -------------------------------------------------------------------------------

    def _idle(self, last_used_at: datetime, now: datetime) -> bool:
        return self.ttl_minutes is not None and now - last_used_at > timedelta(minutes=self.ttl_minutes)

    def _expire_idle(self, owner: str, id: str | None = None) -> None:
        if self.ttl_minutes is not None:
            now = self._clock()
            with self._write() as conn:
                conn.execute(expire_idle(owner, now - timedelta(minutes=self.ttl_minutes), now, id))

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        # SQLite: one writer at a time in this process, queued on a lock rather than on
        # SQLite's sleeping busy handler; other processes still wait via busy_timeout.
        with self._write_lock, self._write_engine.begin() as conn:
            yield conn

    def _admit_turn(
        self, conn: Connection, record: ResponseRecord, cid: str, now: datetime
    ) -> ConversationClosed | None:
        """Create or touch the record's conversation (cid); the refusal if it cannot take the turn."""
        conv, created = self._lock_conversation(conn, cid, record.owner, now, model=record.model, response_id=record.id)
        if created:
            return None
        status = conv.status
        # Updating a turn already recorded (e.g. a background response finishing) is no new turn.
        if not conv.known:
            if status == "active" and self._idle(conv.last_used_at, now):
                status = "expired"
                conn.execute(set_status(record.owner, cid, status, now))
            if status != "active":
                return ConversationClosed(cid, status, self.ttl_minutes)
        if status == "active":
            conn.execute(self._sql.touch_conversation, {"conversation_id": cid, "new_model": record.model, "now": now})
        return None

    def _lock_conversation(
        self,
        conn: Connection,
        id: str,
        owner: str,
        now: datetime,
        *,
        model: str | None = None,
        title: str | None = None,
        metadata: dict[str, Any] | None = None,
        response_id: str = "",
    ) -> tuple[Row, bool]:
        """Lock the conversation's row, creating it if missing; return it and whether it is new."""
        key = {"conversation_id": id, "response_id": response_id}
        row = conn.execute(self._sql.lock_conversation, key).first()
        created = False
        if row is None:
            # Insert-or-nothing: of two writers racing to create it, both go on.
            new = {
                "id": id,
                "owner": owner,
                "title": title,
                "model": model,
                "status": "active",
                "metadata": metadata or {},
                "created_at": now,
                "updated_at": now,
                "last_used_at": now,
            }
            created = conn.execute(self._sql.insert_conversation, new).first() is not None
            row = conn.execute(self._sql.lock_conversation, key).one()
        if row.owner != owner:
            raise OwnershipError(f"conversation {id} is recorded under another owner")
        return row, created
