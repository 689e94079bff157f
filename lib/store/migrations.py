"""Numbered forward migrations of the history database, run at start-up."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    text,
)

from .records import utcnow
from .schema import UtcDateTime, json_type, schema_version

# Arbitrary first key of PostgreSQL's two-int advisory lock; the second is the schema's hash,
# so stores in different schemas of one database do not wait on each other.
_PG_LOCK_NAMESPACE = 0x52_53_48_53


def _v1_initial(conn: Connection) -> None:
    # Frozen copy of the first schema: later changes go in new migrations, never here.
    md = MetaData()
    Table(
        "conversations",
        md,
        Column("id", String(200), primary_key=True),
        Column("owner", String(320), nullable=False),
        Column("title", Text),
        Column("model", String(200)),
        Column("status", String(20), nullable=False),
        Column("metadata", json_type(), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
        Column("last_used_at", UtcDateTime, nullable=False),
        Index("ix_conversations_owner_last_used", "owner", "last_used_at"),
    )
    Table(
        "responses",
        md,
        Column("id", String(200), primary_key=True),
        Column("conversation_id", String(200), ForeignKey("conversations.id", ondelete="CASCADE")),
        Column("previous_response_id", String(200)),
        Column("owner", String(320), nullable=False),
        Column("model", String(200), nullable=False),
        Column("status", String(20), nullable=False),
        Column("input_tokens", Integer, nullable=False),
        Column("cached_tokens", Integer, nullable=False),
        Column("output_tokens", Integer, nullable=False),
        Column("reasoning_tokens", Integer, nullable=False),
        Column("cost_usd", Float),
        Column("latency_ms", Integer),
        Column("ttft_ms", Integer),
        Column("tools", json_type(), nullable=False),
        Column("input_preview", Text, nullable=False),
        Column("output_preview", Text, nullable=False),
        Column("error", Text),
        Column("created_at", UtcDateTime, nullable=False),
        Index("ix_responses_owner_created", "owner", "created_at"),
        Index("ix_responses_owner_model", "owner", "model"),
        Index("ix_responses_owner_status", "owner", "status"),
        Index("ix_responses_owner_conversation", "owner", "conversation_id"),
    )
    md.create_all(conn)


def _v2_profiles(conn: Connection) -> None:
    md = MetaData()
    Table(
        "profiles",
        md,
        Column("owner", String(320), primary_key=True),
        Column("name", String(200), primary_key=True),
        Column("data", json_type(), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    )
    md.create_all(conn)


def _v3_vector_store_owners(conn: Connection) -> None:
    # Who created each vector store through the app: on the owner's key, the only stores a person sees.
    md = MetaData()
    Table(
        "vector_store_owners",
        md,
        Column("store_id", String(200), primary_key=True),
        Column("owner", String(320), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Index("ix_vector_store_owners_owner", "owner"),
    )
    md.create_all(conn)


def _v4_spend(conn: Connection) -> None:
    # Stands alone: it reads and changes no other table, so it runs the same with or without v3.
    md = MetaData()
    Table(
        "spend",
        md,
        Column("identity", String(320), primary_key=True),
        Column("period", String(20), primary_key=True),
        Column("nano_usd", BigInteger, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    )
    md.create_all(conn)


# A response's cost in whole billionths of a dollar, the same on both engines (bigint on PostgreSQL).
NANO = "CAST(round(coalesce({0}.cost_usd, 0) * 1000000000) AS BIGINT)"


def _v5_rollups(conn: Connection) -> None:
    # Per owner/day/model/status sums and per owner/tool counts, kept by triggers so every write path
    # (record_response's upsert, deletes, a conversation's cascade, bulk loads) keeps them right.
    postgres = conn.dialect.name == "postgresql"
    md = MetaData()
    Table(
        "response_days",
        md,
        Column("owner", String(320), primary_key=True),
        Column("day", String(10), primary_key=True),
        Column("model", String(200), primary_key=True),
        Column("status", String(20), primary_key=True),
        Column("responses", Integer, nullable=False),
        Column("input_tokens", BigInteger, nullable=False),
        Column("cached_tokens", BigInteger, nullable=False),
        Column("output_tokens", BigInteger, nullable=False),
        Column("reasoning_tokens", BigInteger, nullable=False),
        Column("cost_nano_usd", BigInteger, nullable=False),
    )
    Table(
        "response_tools",
        md,
        Column("owner", String(320), primary_key=True),
        Column("tool", String(200), primary_key=True),
        Column("responses", Integer, nullable=False),
    )
    md.create_all(conn)
    # The latency chart's newest rows read from the index alone, for every model or one; the two
    # indexes these extend are then redundant, and dropping them keeps the write cost level.
    for name, columns in (
        ("ix_responses_owner_created_latency", "owner, created_at, id, latency_ms"),
        ("ix_responses_owner_model_created_latency", "owner, model, created_at, id, latency_ms"),
    ):
        conn.execute(text(f"CREATE INDEX {name} ON responses ({columns})"))
    conn.execute(text("DROP INDEX ix_responses_owner_created"))
    conn.execute(text("DROP INDEX ix_responses_owner_model"))
    day = "to_char({}.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')" if postgres else "date({}.created_at)"
    each = "jsonb_array_elements_text({}.tools) AS t(value)" if postgres else "json_each({}.tools) AS t"
    conn.execute(
        text(
            "INSERT INTO response_days SELECT owner, " + day.format("responses") + ", model, status, count(*), "
            "sum(input_tokens), sum(cached_tokens), sum(output_tokens), sum(reasoning_tokens), "
            "sum(" + NANO.format("responses") + ") FROM responses GROUP BY 1, 2, 3, 4"
        )
    )
    conn.execute(
        text(
            "INSERT INTO response_tools SELECT r.owner, t.value, count(DISTINCT r.id) FROM responses AS r "
            "CROSS JOIN " + ("LATERAL " if postgres else "") + each.format("r") + " GROUP BY 1, 2"
        )
    )
    if postgres:
        _v5_postgres_triggers(conn, day, each)
    else:
        _v5_sqlite_triggers(conn, day, each)


def _v5_postgres_triggers(conn: Connection, day: str, each: str) -> None:
    # Per statement over the transition tables: a bulk load or a conversation's cascade sums its rows once.
    # Keys in a fixed order, so concurrent writers lock the same rollup rows in the same order.
    def add(rows: str) -> str:
        return (
            "INSERT INTO response_days SELECT owner, " + day.format("r") + ", model, status, count(*), "
            "sum(input_tokens), sum(cached_tokens), sum(output_tokens), sum(reasoning_tokens), "
            "sum(" + NANO.format("r") + ") FROM " + rows + " AS r GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 "
            "ON CONFLICT (owner, day, model, status) DO UPDATE SET "
            "responses = response_days.responses + excluded.responses, "
            "input_tokens = response_days.input_tokens + excluded.input_tokens, "
            "cached_tokens = response_days.cached_tokens + excluded.cached_tokens, "
            "output_tokens = response_days.output_tokens + excluded.output_tokens, "
            "reasoning_tokens = response_days.reasoning_tokens + excluded.reasoning_tokens, "
            "cost_nano_usd = response_days.cost_nano_usd + excluded.cost_nano_usd; "
            "INSERT INTO response_tools SELECT r.owner, t.value, count(DISTINCT r.id) FROM " + rows + " AS r "
            "CROSS JOIN LATERAL " + each.format("r") + " GROUP BY 1, 2 ORDER BY 1, 2 "
            "ON CONFLICT (owner, tool) DO UPDATE SET responses = response_tools.responses + excluded.responses; "
        )

    def subtract(rows: str) -> str:
        return (
            "UPDATE response_days AS d SET responses = d.responses - o.n, "
            "input_tokens = d.input_tokens - o.input_tokens, cached_tokens = d.cached_tokens - o.cached_tokens, "
            "output_tokens = d.output_tokens - o.output_tokens, "
            "reasoning_tokens = d.reasoning_tokens - o.reasoning_tokens, cost_nano_usd = d.cost_nano_usd - o.nano "
            "FROM (SELECT owner, " + day.format("r") + " AS day, model, status, count(*) AS n, "
            "sum(input_tokens) AS input_tokens, sum(cached_tokens) AS cached_tokens, "
            "sum(output_tokens) AS output_tokens, sum(reasoning_tokens) AS reasoning_tokens, "
            "sum(" + NANO.format("r") + ") AS nano FROM " + rows + " AS r GROUP BY 1, 2, 3, 4) AS o "
            "WHERE d.owner = o.owner AND d.day = o.day AND d.model = o.model AND d.status = o.status; "
            "UPDATE response_tools AS d SET responses = d.responses - o.n "
            "FROM (SELECT r.owner, t.value AS tool, count(DISTINCT r.id) AS n FROM " + rows + " AS r "
            "CROSS JOIN LATERAL " + each.format("r") + " GROUP BY 1, 2) AS o "
            "WHERE d.owner = o.owner AND d.tool = o.tool; "
        )

    conn.execute(
        text(
            "CREATE FUNCTION responses_rollup() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF TG_OP <> 'INSERT' THEN " + subtract("old_rows") + " END IF; "
            "IF TG_OP <> 'DELETE' THEN " + add("new_rows") + " END IF; RETURN NULL; END $$"
        )
    )
    for event, tables in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        conn.execute(
            text(
                f"CREATE TRIGGER responses_rollup_{event.lower()} AFTER {event} ON responses REFERENCING {tables} "
                "FOR EACH STATEMENT EXECUTE FUNCTION responses_rollup()"
            )
        )


def _v5_sqlite_triggers(conn: Connection, day: str, each: str) -> None:
    # SQLite has only row triggers: each row adds to (or takes from) its day and its tools.
    subtract = (
        "UPDATE response_days SET responses = responses - 1, input_tokens = input_tokens - OLD.input_tokens, "
        "cached_tokens = cached_tokens - OLD.cached_tokens, output_tokens = output_tokens - OLD.output_tokens, "
        "reasoning_tokens = reasoning_tokens - OLD.reasoning_tokens, "
        "cost_nano_usd = cost_nano_usd - " + NANO.format("OLD") + " "
        "WHERE owner = OLD.owner AND day = " + day.format("OLD") + " AND model = OLD.model AND status = OLD.status; "
        "UPDATE response_tools SET responses = responses - 1 WHERE owner = OLD.owner AND tool IN "
        "(SELECT t.value FROM " + each.format("OLD") + ");"
    )
    add = (
        "INSERT INTO response_days VALUES (NEW.owner, " + day.format("NEW") + ", NEW.model, NEW.status, 1, "
        "NEW.input_tokens, NEW.cached_tokens, NEW.output_tokens, NEW.reasoning_tokens, " + NANO.format("NEW") + ") "
        "ON CONFLICT (owner, day, model, status) DO UPDATE SET responses = response_days.responses + 1, "
        "input_tokens = response_days.input_tokens + excluded.input_tokens, "
        "cached_tokens = response_days.cached_tokens + excluded.cached_tokens, "
        "output_tokens = response_days.output_tokens + excluded.output_tokens, "
        "reasoning_tokens = response_days.reasoning_tokens + excluded.reasoning_tokens, "
        "cost_nano_usd = response_days.cost_nano_usd + excluded.cost_nano_usd; "
        "INSERT INTO response_tools SELECT DISTINCT NEW.owner, t.value, 1 FROM "
        + each.format("NEW")
        + " WHERE true ON CONFLICT (owner, tool) DO UPDATE SET responses = response_tools.responses + 1;"
    )
    for event, body in (("INSERT", add), ("UPDATE", subtract + " " + add), ("DELETE", subtract)):
        conn.execute(
            text(f"CREATE TRIGGER responses_rollup_{event.lower()} AFTER {event} ON responses BEGIN {body} END")
        )


def _v6_cache_writes(conn: Connection) -> None:
    # Input written to the prompt cache, billed above plain input on some models. Not added to the
    # response_days rollup: its triggers insert by position, and the cost it adds is in cost_nano_usd already.
    conn.execute(text("ALTER TABLE responses ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0"))


def _v12_prompt_versions(conn: Connection) -> None:
    md = MetaData()
    Table(
        "prompt_versions",
        md,
        Column("owner", String(320), primary_key=True),
        Column("name", String(200), primary_key=True),
        Column("version", Integer, primary_key=True, autoincrement=False),
        Column("instructions", Text, nullable=False),
        Column("user_message", Text, nullable=False),
        Column("variables", json_type(), nullable=False),
        Column("source", String(300), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
    )
    md.create_all(conn)


def _v7_conversation_parents(conn: Connection) -> None:
    # A branch or fork is a new conversation made from another's items: where it came from, for History's tree.
    # Plain columns, no foreign key: the parent may be deleted, or live under another owner's row id space.
    for column in ("parent_conversation_id", "parent_response_id"):
        conn.execute(text(f"ALTER TABLE conversations ADD COLUMN {column} VARCHAR(200)"))
    conn.execute(text("CREATE INDEX ix_conversations_owner_parent ON conversations (owner, parent_conversation_id)"))


def _v8_response_tags(conn: Connection) -> None:
    # What made a response ("compare" for the Compare page); NULL for the chat's, old rows included.
    conn.execute(text("ALTER TABLE responses ADD COLUMN tag VARCHAR(40)"))
    conn.execute(text("CREATE INDEX ix_responses_owner_tag_created ON responses (owner, tag, created_at)"))


def _v9_feedback(conn: Connection) -> None:
    # A person's thumbs on one of their own responses; gone with the response (the filter is an EXISTS).
    md = MetaData()
    Table("responses", md, Column("id", String(200), primary_key=True))
    Table(
        "feedback",
        md,
        Column("response_id", String(200), ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True),
        Column("owner", String(320), nullable=False),
        Column("rating", Integer, nullable=False),
        Column("comment", Text),
        Column("updated_at", UtcDateTime, nullable=False),
        Index("ix_feedback_owner_rating", "owner", "rating"),
    )
    md.tables["feedback"].create(conn)


def _v10_evals(conn: Connection) -> None:
    # Datasets of inputs, and runs of them against profiles with graders; every row owner-scoped.
    md = MetaData()
    Table(
        "eval_datasets",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("owner", String(320), nullable=False),
        Column("name", String(200), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
        Index("ux_eval_datasets_owner_name", "owner", "name", unique=True),
    )
    Table(
        "eval_rows",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("dataset_id", Integer, ForeignKey("eval_datasets.id", ondelete="CASCADE"), nullable=False),
        Column("position", Integer, nullable=False),
        Column("input", Text, nullable=False),
        Column("expected", Text),
        Column("notes", Text),
        Column("source_response_id", String(200)),
        Index("ix_eval_rows_dataset_position", "dataset_id", "position"),
    )
    Table(
        "eval_runs",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("owner", String(320), nullable=False),
        Column("dataset_id", Integer, ForeignKey("eval_datasets.id", ondelete="CASCADE"), nullable=False),
        Column("name", String(200), nullable=False),
        Column("config", json_type(), nullable=False),
        Column("status", String(20), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
        Index("ix_eval_runs_owner_created", "owner", "created_at"),
    )
    Table(
        "eval_results",
        md,
        Column("run_id", Integer, ForeignKey("eval_runs.id", ondelete="CASCADE"), primary_key=True),
        Column("row_id", Integer, primary_key=True),
        Column("profile", String(200), primary_key=True),
        Column("status", String(20), nullable=False),
        Column("output", Text, nullable=False),
        Column("error", Text),
        Column("response_id", String(200)),
        Column("verdicts", json_type(), nullable=False),
        Column("passed", Integer),
        Column("score", Float),
        Column("input_tokens", Integer, nullable=False),
        Column("output_tokens", Integer, nullable=False),
        Column("cost_usd", Float),
        Column("latency_ms", Integer),
        Column("created_at", UtcDateTime, nullable=False),
    )
    md.create_all(conn)


MIGRATIONS: tuple[tuple[int, str, Callable[[Connection], None]], ...] = (
    (1, "conversations and responses", _v1_initial),
    (2, "profiles", _v2_profiles),
    (3, "vector store owners", _v3_vector_store_owners),
    (4, "spend per identity and period", _v4_spend),
    (5, "response rollups for the History page", _v5_rollups),
    (6, "cache write tokens of each response", _v6_cache_writes),
    (7, "conversation parents (branches and forks)", _v7_conversation_parents),
    (8, "response tags (compare runs)", _v8_response_tags),
    (9, "feedback on responses", _v9_feedback),
    (10, "eval datasets, runs and results", _v10_evals),
    (12, "prompt templates and their versions", _v12_prompt_versions),
)
LATEST_VERSION = MIGRATIONS[-1][0]


def migrate(engine: Engine) -> int:
    """Bring the database up to LATEST_VERSION in one transaction; return the version."""
    # On SQLite the write engine begins IMMEDIATE, so a second process waits for the first.
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text("SELECT pg_advisory_xact_lock(:ns, hashtext(current_schema()))"),
                {"ns": _PG_LOCK_NAMESPACE},
            )
        schema_version.create(conn, checkfirst=True)
        applied = set(conn.execute(select(schema_version.c.version)).scalars())
        current = max(applied, default=0)
        if current > LATEST_VERSION:
            raise RuntimeError(
                f"the history database is at schema version {current}, newer than this app "
                f"knows ({LATEST_VERSION}); upgrade the app or point HISTORY_DATABASE_URL elsewhere"
            )
        for version, name, step in MIGRATIONS:
            # Every missing step, not just those above the highest: numbers written on parallel
            # branches (3 and 4) may land in either order.
            if version not in applied:
                step(conn)
                conn.execute(insert(schema_version).values(version=version, name=name, applied_at=utcnow()))
    return LATEST_VERSION
