"""SQL builders for the history store: filters, sorting, aggregates (no connections here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    Insert,
    Row,
    Select,
    Update,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .records import ERROR_CHARS, PREVIEW_CHARS, ResponseFilter, ResponseRecord
from .schema import UtcDateTime, conversations, feedback, response_days, response_tools, responses

RESPONSE_FIELDS = tuple(ResponseRecord.__dataclass_fields__)
SORTABLE = {
    "created_at": responses.c.created_at,
    "model": responses.c.model,
    "status": responses.c.status,
    "conversation_id": responses.c.conversation_id,
    "input_tokens": responses.c.input_tokens,
    "cached_tokens": responses.c.cached_tokens,
    "cache_write_tokens": responses.c.cache_write_tokens,
    "output_tokens": responses.c.output_tokens,
    "reasoning_tokens": responses.c.reasoning_tokens,
    "total_tokens": responses.c.input_tokens + responses.c.output_tokens,
    "cost_usd": responses.c.cost_usd,
    "latency_ms": responses.c.latency_ms,
    "ttft_ms": responses.c.ttft_ms,
}

NULLABLE = {name for name, column in SORTABLE.items() if getattr(column, "nullable", False)}


def response_dict(row: Row) -> dict[str, Any]:
    """A response row as a plain dict with the ResponseRecord field names; tools as a list."""
    out = {name: getattr(row, name) for name in RESPONSE_FIELDS}
    out["tools"] = list(out["tools"] or [])
    return out


def response_row(record: ResponseRecord) -> dict[str, Any]:
    """The column values of a record, previews and error cut to their stored length."""
    row = {name: getattr(record, name) for name in RESPONSE_FIELDS}
    row["tools"] = list(record.tools)
    row["input_preview"] = record.input_preview[:PREVIEW_CHARS]
    row["output_preview"] = record.output_preview[:PREVIEW_CHARS]
    row["error"] = record.error[:ERROR_CHARS] if record.error else record.error
    row["cost_usd"] = None if record.cost_usd is None else float(record.cost_usd)
    return row


def set_status(owner: str, id: str, status: str, now: datetime) -> Update:
    """Set one of the owner's conversations to `status`."""
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if status == "active":
        values["last_used_at"] = now  # reopened by hand: the idle clock starts again
    return update(conversations).where(conversations.c.owner == owner, conversations.c.id == id).values(**values)


def expire_idle(owner: str, idle_since: datetime, now: datetime, id: str | None = None) -> Update:
    """Mark the owner's active conversations (or one) unused since `idle_since` as expired."""
    stmt = (
        update(conversations)
        .where(
            conversations.c.owner == owner,
            conversations.c.status == "active",
            conversations.c.last_used_at < idle_since,
        )
        .values(status="expired", updated_at=now)
    )
    return stmt if id is None else stmt.where(conversations.c.id == id)


def escape_like(text: str) -> str:
    """`text` as a literal inside a LIKE pattern with backslash as the escape character."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def tools_each(dialect: str):
    """The elements of responses.tools as a table-valued function with one column, `value`."""
    # Both functions yield one row per array element in a column named "value".
    fn = func.json_each if dialect == "sqlite" else func.jsonb_array_elements_text
    return fn(responses.c.tools).table_valued("value")


def utc_day(dialect: str):
    """The UTC calendar day of responses.created_at (text on SQLite, date on PostgreSQL)."""
    if dialect == "sqlite":
        return func.date(responses.c.created_at)
    return cast(func.timezone("UTC", responses.c.created_at), Date)


def where(f: ResponseFilter, dialect: str):
    """The WHERE clause of a response filter; the owner is always part of it."""
    clauses = [responses.c.owner == f.owner]
    if f.since is not None:
        clauses.append(responses.c.created_at >= f.since)
    if f.until is not None:
        clauses.append(responses.c.created_at < f.until)
    if f.models:
        clauses.append(responses.c.model.in_(f.models))
    if f.statuses:
        clauses.append(responses.c.status.in_(f.statuses))
    if f.conversation_id is not None:
        clauses.append(responses.c.conversation_id == f.conversation_id)
    if f.text:
        pattern = f"%{escape_like(f.text)}%"
        clauses.append(
            or_(
                responses.c.input_preview.ilike(pattern, escape="\\"),
                responses.c.output_preview.ilike(pattern, escape="\\"),
            )
        )
    if f.tag:
        clauses.append(responses.c.tag == f.tag)
    if f.tool:
        each = tools_each(dialect)
        clauses.append(exists(select(literal(1)).select_from(each).where(each.c.value == f.tool)))
    if f.rating:
        mark = feedback.alias("rated")  # its own name: a query that joins feedback may hold this filter
        rated = (
            select(literal(1))
            .select_from(mark)
            .correlate(responses)
            .where(mark.c.response_id == responses.c.id, mark.c.owner == f.owner)
        )
        if f.rating == "unrated":
            clauses.append(~exists(rated))
        else:
            clauses.append(exists(rated.where(mark.c.rating == (1 if f.rating == "good" else 0))))
    return and_(*clauses)


def _midnight(value: datetime | None) -> bool:
    return value is None or value.astimezone(UTC).time() == time()


def rollup_where(f: ResponseFilter):
    """The filter on response_days, or None when it cannot answer it (text, tool, tag, rating, conversation, hours)."""
    if (
        f.text
        or f.tool
        or f.tag
        or f.rating
        or f.conversation_id is not None
        or not (_midnight(f.since) and _midnight(f.until))
    ):
        return None
    t = response_days.c
    clauses = [t.owner == f.owner, t.responses > 0]  # a day whose responses were all deleted stays, empty
    if f.since is not None:
        clauses.append(t.day >= f.since.astimezone(UTC).date().isoformat())
    if f.until is not None:
        clauses.append(t.day < f.until.astimezone(UTC).date().isoformat())
    if f.models:
        clauses.append(t.model.in_(f.models))
    if f.statuses:
        clauses.append(t.status.in_(f.statuses))
    return and_(*clauses)


def rollup_sums() -> tuple:
    """Count, token and cost sums over response_days rows (as over the responses they stand for)."""

    def total(col, name):
        # PostgreSQL sums bigints as numeric: back to an integer, as the sums over responses are.
        return cast(func.coalesce(func.sum(col), 0), BigInteger).label(name)

    t = response_days.c
    return (
        total(t.responses, "responses"),
        total(t.input_tokens, "input_tokens"),
        total(t.cached_tokens, "cached_tokens"),
        total(t.output_tokens, "output_tokens"),
        total(t.reasoning_tokens, "reasoning_tokens"),
        total(t.input_tokens + t.output_tokens, "total_tokens"),
        (cast(func.coalesce(func.sum(t.cost_nano_usd), 0), Float) / 1e9).label("cost_usd"),
    )


def used_tools(owner: str) -> Select:
    """The tool types the owner's responses used, sorted (from the counts the triggers keep)."""
    t = response_tools.c
    return select(t.tool).where(t.owner == owner, t.responses > 0).order_by(t.tool)


def used_models(owner: str) -> Select:
    """The models the owner's responses used, sorted."""
    t = response_days.c
    return select(t.model).where(t.owner == owner, t.responses > 0).distinct().order_by(t.model)


def select_responses(f: ResponseFilter, dialect: str, order_by: str, descending: bool) -> Select:
    """Filtered responses in a stable order (the id breaks ties, so pages never overlap)."""
    if order_by not in SORTABLE:
        raise ValueError(f"cannot sort by {order_by!r}; choose one of {sorted(SORTABLE)}")
    column, by_id = SORTABLE[order_by], responses.c.id
    key, tie = (column.desc(), by_id.desc()) if descending else (column.asc(), by_id.asc())
    # NULLS LAST both ways where a column has NULLs: the engines disagree on the default. Not on the
    # others: PostgreSQL then walks an index instead of sorting every row of the owner.
    key = key.nulls_last() if order_by in NULLABLE else key
    return select(responses).where(where(f, dialect)).order_by(key, tie)


def usage_sums() -> tuple:
    """Token and cost sums over responses, 0 when there are none."""

    def total(col, name, zero=0):
        return func.coalesce(func.sum(col), zero).label(name)

    return (
        total(responses.c.input_tokens, "input_tokens"),
        total(responses.c.cached_tokens, "cached_tokens"),
        total(responses.c.output_tokens, "output_tokens"),
        total(responses.c.reasoning_tokens, "reasoning_tokens"),
        total(responses.c.input_tokens + responses.c.output_tokens, "total_tokens"),
        total(responses.c.cost_usd, "cost_usd", 0.0),
    )


def select_conversations(owner: str, page: Select | None = None) -> Select:
    """This owner's conversations with turns, tokens and cost of their recorded responses.

    The conversations are chosen first (`page`: a query of their ids, e.g. one page of them) and only
    their responses are summed, through the (owner, conversation_id) index: summing every response
    of the owner before joining made PostgreSQL walk the whole table for one page.
    """
    chosen = (page if page is not None else select(conversations.c.id).where(conversations.c.owner == owner)).subquery()
    usage = (
        select(responses.c.conversation_id, func.count().label("turns"), *usage_sums())
        .where(responses.c.owner == owner, responses.c.conversation_id.in_(select(chosen.c.id)))
        .group_by(responses.c.conversation_id)
        .subquery()
    )
    return (
        select(
            conversations,
            func.coalesce(usage.c.turns, 0).label("turns"),
            func.coalesce(usage.c.input_tokens, 0).label("input_tokens"),
            func.coalesce(usage.c.output_tokens, 0).label("output_tokens"),
            func.coalesce(usage.c.total_tokens, 0).label("total_tokens"),
            func.coalesce(usage.c.cost_usd, 0.0).label("cost_usd"),
        )
        .select_from(conversations.outerjoin(usage, usage.c.conversation_id == conversations.c.id))
        .where(conversations.c.owner == owner, conversations.c.id.in_(select(chosen.c.id)))
    )


@dataclass(frozen=True)
class WriteStatements:
    """The statements of one recorded turn, built once per store (the hot path of writing)."""

    upsert_response: Insert
    insert_conversation: Insert
    lock_conversation: Select
    touch_conversation: Update


def write_statements(dialect: str) -> WriteStatements:
    """Statements taking their values as parameters, in the dialect's upsert syntax."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    ins = insert(responses)
    upsert = ins.on_conflict_do_update(
        index_elements=[responses.c.id],
        set_={c.name: ins.excluded[c.name] for c in responses.c if c.name not in ("id", "owner")},
        where=responses.c.owner == ins.excluded.owner,  # never take over another owner's row
    ).returning(responses.c.id)
    known = exists().where(responses.c.id == bindparam("response_id"))
    return WriteStatements(
        upsert_response=upsert,
        insert_conversation=insert(conversations)
        .on_conflict_do_nothing(index_elements=[conversations.c.id])
        .returning(conversations.c.id),
        lock_conversation=select(
            conversations.c.owner, conversations.c.status, conversations.c.last_used_at, known.label("known")
        )
        .where(conversations.c.id == bindparam("conversation_id"))
        .with_for_update(of=conversations),
        touch_conversation=update(conversations)
        .where(conversations.c.id == bindparam("conversation_id"))
        .values(
            model=bindparam("new_model"),
            last_used_at=bindparam("now", type_=UtcDateTime()),
            updated_at=bindparam("now", type_=UtcDateTime()),
        ),
    )
