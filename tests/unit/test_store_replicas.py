"""Replicas starting together on one fresh database: every one opens the store, each migration runs once."""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.synchronize import Barrier

from sqlalchemy import func, select

from lib.store import HistoryStore
from lib.store.migrations import MIGRATIONS
from lib.store.schema import schema_version
from tests.db import store_url  # noqa: F401  (fixture)

REPLICAS = 4


def _replica(url: str, barrier: Barrier, results) -> None:
    """One replica's start-up: wait for the others, then open the store (which migrates)."""
    try:
        barrier.wait(timeout=60)
        store = HistoryStore(url)
        results.put((os.getpid(), store.schema_version, None))
        store.close()
    except BaseException as exc:  # reported to the test, which names it
        results.put((os.getpid(), None, f"{type(exc).__name__}: {exc}"))


def test_replicas_starting_at_once_migrate_once(store_url):  # noqa: F811
    # Separate processes (spawned, as separate `streamlit run`s would be): no shared engine, no shared
    # in-process lock; only the database can keep them apart.
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(REPLICAS)
    results = ctx.Queue()
    procs = [ctx.Process(target=_replica, args=(store_url, barrier, results)) for _ in range(REPLICAS)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    latest = MIGRATIONS[-1][0]
    assert [(version, error) for _, version, error in outcomes] == [(latest, None)] * REPLICAS
    assert [proc.exitcode for proc in procs] == [0] * REPLICAS
    store = HistoryStore(store_url)
    try:
        with store.engine.connect() as conn:
            counts = conn.execute(
                select(schema_version.c.version, func.count())
                .group_by(schema_version.c.version)
                .order_by(schema_version.c.version)
            ).all()
    finally:
        store.close()
    assert [tuple(row) for row in counts] == [(version, 1) for version, _, _ in MIGRATIONS]
