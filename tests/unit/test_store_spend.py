"""The spend table: one counter per identity and UTC day, added to atomically on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import select

from lib.store import HistoryStore
from lib.store.migrations import MIGRATIONS, migrate
from lib.store.schema import schema_version, spend

ANN, BOB = "user:ann@example.com", "ip:3b1f0c2a9d8e7f60"


def test_spend_is_per_identity_and_period(history_store):
    assert history_store.spend.spent(ANN, "2026-11-30") == 0.0
    assert history_store.spend.add(ANN, "2026-11-30", 0.25) == 0.25
    assert history_store.spend.add(ANN, "2026-11-30", 0.5) == 0.75
    history_store.spend.add(BOB, "2026-11-30", 1.0)
    history_store.spend.add(ANN, "2026-12-01", 2.0)
    assert history_store.spend.spent(ANN, "2026-11-30") == 0.75
    assert history_store.spend.spent(BOB, "2026-11-30") == 1.0
    assert history_store.spend.spent(ANN, "2026-12-01") == 2.0
    with history_store.engine.connect() as conn:
        rows = conn.execute(
            select(spend.c.identity, spend.c.period, spend.c.nano_usd).order_by(spend.c.identity, spend.c.period)
        ).all()
    assert [tuple(r) for r in rows] == [
        (BOB, "2026-11-30", 1_000_000_000),
        (ANN, "2026-11-30", 750_000_000),
        (ANN, "2026-12-01", 2_000_000_000),
    ]


def test_a_reservation_is_given_back_and_tiny_costs_are_never_free(history_store):
    history_store.spend.add(ANN, "2026-11-30", 0.01)  # the worst case, reserved before the turn
    assert history_store.spend.add(ANN, "2026-11-30", 0.0000025 - 0.01) == 0.0000025
    assert history_store.spend.add(ANN, "2026-11-30", 1e-12) == 0.000002501  # rounded up to a nano-dollar, not to 0


def test_concurrent_increments_sum_exactly(history_store):
    errors: list[BaseException] = []
    barrier = threading.Barrier(10)

    def spender() -> None:
        try:
            barrier.wait()
            for _ in range(20):
                history_store.spend.add(ANN, "2026-11-30", 0.001)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=spender) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [repr(e) for e in errors] == []
    with history_store.engine.connect() as conn:
        assert conn.execute(select(spend.c.nano_usd)).scalar_one() == 200 * 1_000_000


def test_spend_migration_runs_when_an_earlier_number_is_missing(store_url):
    # Migrations 3 and 4 come from parallel branches: a database may have 4 before it has 3.
    store = HistoryStore(store_url)
    try:
        with store.engine.begin() as conn:
            conn.execute(schema_version.delete().where(schema_version.c.version == 4))
            spend.drop(conn)
        migrate(store.engine)
        with store.engine.connect() as conn:
            assert conn.execute(
                select(schema_version.c.version).order_by(schema_version.c.version)
            ).scalars().all() == [version for version, _, _ in MIGRATIONS]
        assert store.spend.add(ANN, "2026-11-30", 0.5) == 0.5
    finally:
        store.close()
