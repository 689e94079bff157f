"""Eval datasets, their rows, runs and results, in the history database; every call takes the owner."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select, update

from lib.identity import ANONYMOUS

from .schema import eval_datasets, eval_results, eval_rows, eval_runs

if TYPE_CHECKING:
    from .history import HistoryStore

ROW_FIELDS = ("input", "expected", "notes", "source_response_id")
RESULT_FIELDS = (
    "status",
    "output",
    "error",
    "response_id",
    "verdicts",
    "passed",
    "score",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "latency_ms",
)
RUN_STATUSES = ("running", "stopped", "done")
MAX_NAME = 200


class EvalStoreError(ValueError):
    """A dataset or run request the store refuses, said in one sentence for the page."""


def clean_row(row: dict[str, Any]) -> dict[str, Any] | None:
    """A row's stored fields (text trimmed, blanks as None), or None when it has no input."""

    def text(name: str) -> str | None:
        value = row.get(name)
        if value is None or (isinstance(value, float) and value != value):  # pandas' NaN for an empty cell
            return None
        return str(value).strip() or None

    cleaned = {name: text(name) for name in ROW_FIELDS}
    return cleaned if cleaned["input"] else None


class Evals:
    """Datasets and runs; one owner's never show for another, whatever id is asked for."""

    def __init__(self, store: HistoryStore) -> None:
        self._store = store

    # -- datasets ------------------------------------------------------------------------------

    def create_dataset(self, owner: str, name: str) -> int:
        """A new, empty dataset; its id. Refused for an anonymous visitor, an empty or a taken name."""
        if owner.startswith(ANONYMOUS):
            raise EvalStoreError("Datasets are kept only for a signed-in person or for a key of your own.")
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise EvalStoreError(f"A dataset needs a name of 1 to {MAX_NAME} characters.")
        if self.dataset_id(owner, name) is not None:
            raise EvalStoreError(f"You already have a dataset named {name!r}.")
        now = self._store.now()
        with self._store.writing() as conn:
            stmt = insert(eval_datasets).values(owner=owner, name=name, created_at=now, updated_at=now)
            return int(conn.execute(stmt.returning(eval_datasets.c.id)).scalar_one())

    def datasets(self, owner: str) -> list[dict[str, Any]]:
        """The owner's datasets with their row counts, newest change first."""
        counts = select(eval_rows.c.dataset_id, func.count().label("rows")).group_by(eval_rows.c.dataset_id).subquery()
        stmt = (
            select(eval_datasets, func.coalesce(counts.c.rows, 0).label("rows"))
            .select_from(eval_datasets.outerjoin(counts, counts.c.dataset_id == eval_datasets.c.id))
            .where(eval_datasets.c.owner == owner)
            .order_by(eval_datasets.c.updated_at.desc(), eval_datasets.c.id.desc())
        )
        with self._store.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def dataset(self, owner: str, dataset_id: int) -> dict[str, Any] | None:
        """One of the owner's datasets, or None (also for another owner's id)."""
        stmt = select(eval_datasets).where(eval_datasets.c.owner == owner, eval_datasets.c.id == dataset_id)
        with self._store.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return dict(row._mapping) if row else None

    def dataset_id(self, owner: str, name: str) -> int | None:
        """The id of the owner's dataset of this name, or None."""
        stmt = select(eval_datasets.c.id).where(eval_datasets.c.owner == owner, eval_datasets.c.name == name.strip())
        with self._store.engine.connect() as conn:
            return conn.execute(stmt).scalar()

    def delete_dataset(self, owner: str, dataset_id: int) -> bool:
        """Delete a dataset with its rows, runs and results; False if the owner has none such."""
        with self._store.writing() as conn:
            if not self._owns(conn, owner, dataset_id):
                return False
            runs = select(eval_runs.c.id).where(eval_runs.c.dataset_id == dataset_id)
            conn.execute(delete(eval_results).where(eval_results.c.run_id.in_(runs)))
            conn.execute(delete(eval_runs).where(eval_runs.c.dataset_id == dataset_id))
            conn.execute(delete(eval_rows).where(eval_rows.c.dataset_id == dataset_id))
            conn.execute(delete(eval_datasets).where(eval_datasets.c.id == dataset_id))
        return True

    # -- rows ------------------------------------------------------------------------------------

    def rows(self, owner: str, dataset_id: int) -> list[dict[str, Any]]:
        """The dataset's rows in order: id, input, expected, notes, source_response_id; [] for another's."""
        stmt = (
            select(eval_rows.c.id, *(eval_rows.c[name] for name in ROW_FIELDS))
            .join(eval_datasets, eval_datasets.c.id == eval_rows.c.dataset_id)
            .where(eval_datasets.c.owner == owner, eval_rows.c.dataset_id == dataset_id)
            .order_by(eval_rows.c.position, eval_rows.c.id)
        )
        with self._store.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def add_rows(self, owner: str, dataset_id: int, rows: Iterable[dict[str, Any]]) -> int:
        """Append rows (those without input are skipped); how many were added. EvalStoreError for another's."""
        cleaned = [c for c in map(clean_row, rows) if c]
        with self._store.writing() as conn:
            if not self._owns(conn, owner, dataset_id):
                raise EvalStoreError("No such dataset.")
            start = (
                conn.execute(
                    select(func.coalesce(func.max(eval_rows.c.position), -1)).where(
                        eval_rows.c.dataset_id == dataset_id
                    )
                ).scalar_one()
                + 1
            )
            if cleaned:
                conn.execute(
                    insert(eval_rows),
                    [{**row, "dataset_id": dataset_id, "position": start + n} for n, row in enumerate(cleaned)],
                )
            self._touch(conn, dataset_id)
        return len(cleaned)

    def replace_rows(self, owner: str, dataset_id: int, rows: list[dict[str, Any]]) -> int:
        """Make the dataset hold exactly these rows in this order (an edited table); rows keep their ids."""
        with self._store.writing() as conn:
            if not self._owns(conn, owner, dataset_id):
                raise EvalStoreError("No such dataset.")
            known = set(conn.execute(select(eval_rows.c.id).where(eval_rows.c.dataset_id == dataset_id)).scalars())
            kept: set[int] = set()
            for position, row in enumerate(r for r in rows if clean_row(r)):
                values = {**(clean_row(row) or {}), "position": position}
                row_id = row.get("id")
                if isinstance(row_id, (int, float)) and row_id == row_id and int(row_id) in known:
                    kept.add(int(row_id))
                    conn.execute(update(eval_rows).where(eval_rows.c.id == int(row_id)).values(**values))
                else:
                    conn.execute(insert(eval_rows).values(dataset_id=dataset_id, **values))
            if gone := known - kept:
                conn.execute(delete(eval_rows).where(eval_rows.c.id.in_(gone)))
            self._touch(conn, dataset_id)
        return len(self.rows(owner, dataset_id))

    # -- runs --------------------------------------------------------------------------------------

    def create_run(self, owner: str, dataset_id: int, name: str, config: dict[str, Any]) -> int:
        """A new run of one of the owner's datasets (status running); its id."""
        now = self._store.now()
        with self._store.writing() as conn:
            if not self._owns(conn, owner, dataset_id):
                raise EvalStoreError("No such dataset.")
            stmt = insert(eval_runs).values(
                owner=owner,
                dataset_id=dataset_id,
                name=name.strip()[:MAX_NAME] or "run",
                config=config,
                status="running",
                created_at=now,
                updated_at=now,
            )
            return int(conn.execute(stmt.returning(eval_runs.c.id)).scalar_one())

    def runs(self, owner: str, dataset_id: int | None = None) -> list[dict[str, Any]]:
        """The owner's runs (of one dataset), newest first, with the dataset's name."""
        stmt = (
            select(eval_runs, eval_datasets.c.name.label("dataset"))
            .join(eval_datasets, eval_datasets.c.id == eval_runs.c.dataset_id)
            .where(eval_runs.c.owner == owner)
            .order_by(eval_runs.c.created_at.desc(), eval_runs.c.id.desc())
        )
        if dataset_id is not None:
            stmt = stmt.where(eval_runs.c.dataset_id == dataset_id)
        with self._store.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def run(self, owner: str, run_id: int) -> dict[str, Any] | None:
        """One of the owner's runs, or None."""
        return next((r for r in self._runs_where(owner, run_id)), None)

    def _runs_where(self, owner: str, run_id: int) -> list[dict[str, Any]]:
        stmt = select(eval_runs).where(eval_runs.c.owner == owner, eval_runs.c.id == run_id)
        with self._store.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def set_run_status(self, owner: str, run_id: int, status: str) -> bool:
        """Mark a run running, stopped or done; False if the owner has no such run."""
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        stmt = (
            update(eval_runs)
            .where(eval_runs.c.owner == owner, eval_runs.c.id == run_id)
            .values(status=status, updated_at=self._store.now())
        )
        with self._store.writing() as conn:
            return conn.execute(stmt).rowcount > 0

    def delete_run(self, owner: str, run_id: int) -> bool:
        """Delete a run and its results; False if the owner has none such."""
        with self._store.writing() as conn:
            if not conn.execute(
                select(eval_runs.c.id).where(eval_runs.c.owner == owner, eval_runs.c.id == run_id)
            ).first():
                return False
            conn.execute(delete(eval_results).where(eval_results.c.run_id == run_id))
            conn.execute(delete(eval_runs).where(eval_runs.c.id == run_id))
        return True

    def save_result(self, owner: str, run_id: int, row_id: int, profile: str, result: dict[str, Any]) -> None:
        """Keep (or replace) one row × profile result of one of the owner's runs."""
        values = {name: result.get(name) for name in RESULT_FIELDS}
        values.update(
            output=values["output"] or "",
            verdicts=values["verdicts"] or [],
            input_tokens=values["input_tokens"] or 0,
            output_tokens=values["output_tokens"] or 0,
        )
        key = (eval_results.c.run_id == run_id, eval_results.c.row_id == row_id, eval_results.c.profile == profile)
        with self._store.writing() as conn:
            if not conn.execute(
                select(eval_runs.c.id).where(eval_runs.c.owner == owner, eval_runs.c.id == run_id)
            ).first():
                raise EvalStoreError("No such run.")
            conn.execute(delete(eval_results).where(*key))
            conn.execute(
                insert(eval_results).values(
                    run_id=run_id, row_id=row_id, profile=profile, created_at=self._store.now(), **values
                )
            )
            conn.execute(update(eval_runs).where(eval_runs.c.id == run_id).values(updated_at=self._store.now()))

    def results(self, owner: str, run_id: int) -> list[dict[str, Any]]:
        """Every result of one of the owner's runs, by row then profile ([] for another's run)."""
        stmt = (
            select(eval_results)
            .join(eval_runs, eval_runs.c.id == eval_results.c.run_id)
            .where(eval_runs.c.owner == owner, eval_results.c.run_id == run_id)
            .order_by(eval_results.c.row_id, eval_results.c.profile)
        )
        with self._store.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    # -- internals -------------------------------------------------------------------------------

    @staticmethod
    def _owns(conn: Connection, owner: str, dataset_id: int) -> bool:
        stmt = select(eval_datasets.c.id).where(eval_datasets.c.owner == owner, eval_datasets.c.id == dataset_id)
        return conn.execute(stmt.with_for_update()).first() is not None

    def _touch(self, conn: Connection, dataset_id: int) -> None:
        conn.execute(update(eval_datasets).where(eval_datasets.c.id == dataset_id).values(updated_at=self._store.now()))
