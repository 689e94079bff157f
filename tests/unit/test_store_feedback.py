"""Feedback on responses in the history store: owner-scoped, changeable, filtered and charted in SQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from lib.store import HistoryStore, ResponseFilter, ResponseRecord
from lib.store.feedback import BAD, GOOD
from tests.db import history_store, store_url  # noqa: F401 - fixtures

DAY = datetime(2026, 11, 1, 9, tzinfo=UTC)


def seed(store: HistoryStore, owner: str = "me", count: int = 4) -> list[str]:
    ids = []
    for n in range(count):
        ids.append(f"resp_{owner}_{n}")
        store.record_response(
            ResponseRecord(
                id=ids[-1],
                owner=owner,
                model=("m-a", "m-b")[n % 2],
                status="completed",
                created_at=DAY + timedelta(days=n // 2),
            )
        )
    return ids


def ids_of(store: HistoryStore, rating: str) -> list[str]:
    return sorted(r["id"] for r in store.responses(ResponseFilter(owner="me", rating=rating)))


def test_rate_change_comment_and_clear(history_store: HistoryStore) -> None:  # noqa: F811
    first, second, *_ = seed(history_store)
    assert history_store.feedback.set("me", first, GOOD, "  precise  ")
    assert history_store.feedback.get("me", first)["rating"] == GOOD
    assert history_store.feedback.get("me", first)["comment"] == "precise"
    assert history_store.feedback.set("me", first, BAD, "")
    assert {k: v for k, v in history_store.feedback.get("me", first).items() if k != "updated_at"} == {
        "rating": BAD,
        "comment": None,
    }
    assert history_store.feedback.set("me", second, GOOD)
    assert history_store.feedback.ratings("me", [first, second, "resp_none"]) == {first: BAD, second: GOOD}
    assert history_store.feedback.set("me", first, None)
    assert history_store.feedback.get("me", first) is None


def test_filter_by_rating_in_sql(history_store: HistoryStore) -> None:  # noqa: F811
    ids = seed(history_store)
    history_store.feedback.set("me", ids[0], GOOD)
    history_store.feedback.set("me", ids[1], BAD)
    assert ids_of(history_store, "good") == [ids[0]]
    assert ids_of(history_store, "bad") == [ids[1]]
    assert ids_of(history_store, "unrated") == sorted(ids[2:])
    assert history_store.count_responses(ResponseFilter(owner="me", rating="unrated")) == 2
    assert history_store.totals(ResponseFilter(owner="me", rating="good"))["responses"] == 1


def test_share_per_day_and_model(history_store: HistoryStore) -> None:  # noqa: F811
    ids = seed(history_store)
    for rid, rating in zip(ids, (GOOD, BAD, GOOD, GOOD), strict=True):
        history_store.feedback.set("me", rid, rating)
    rows = history_store.feedback.daily_share(ResponseFilter(owner="me"))
    assert rows == [
        {"day": date(2026, 11, 1), "model": "m-a", "rated": 1, "good": 1},
        {"day": date(2026, 11, 1), "model": "m-b", "rated": 1, "good": 0},
        {"day": date(2026, 11, 2), "model": "m-a", "rated": 1, "good": 1},
        {"day": date(2026, 11, 2), "model": "m-b", "rated": 1, "good": 1},
    ]


def test_nobody_rates_or_sees_another_owners_response(history_store: HistoryStore) -> None:  # noqa: F811
    mine = seed(history_store, "me", 1)[0]
    theirs = seed(history_store, "them", 1)[0]
    history_store.feedback.set("them", theirs, GOOD)
    assert not history_store.feedback.set("me", theirs, BAD)  # refused, and their rating is untouched
    assert history_store.feedback.get("them", theirs)["rating"] == GOOD
    assert history_store.feedback.get("me", theirs) is None
    assert history_store.feedback.ratings("me", [theirs, mine]) == {}
    assert history_store.feedback.daily_share(ResponseFilter(owner="me")) == []


def test_deleting_a_response_deletes_its_rating(history_store: HistoryStore) -> None:  # noqa: F811
    rid = seed(history_store, "me", 1)[0]
    history_store.feedback.set("me", rid, GOOD)
    history_store.delete_response("me", rid)
    seed(history_store, "me", 1)  # the same id recorded again starts unrated
    assert history_store.feedback.get("me", rid) is None


def test_share_under_a_rating_filter(history_store: HistoryStore) -> None:  # noqa: F811
    ids = seed(history_store, count=2)
    history_store.feedback.set("me", ids[0], GOOD)
    history_store.feedback.set("me", ids[1], BAD)
    rows = history_store.feedback.daily_share(ResponseFilter(owner="me", rating="bad"))
    assert rows == [{"day": date(2026, 11, 1), "model": "m-b", "rated": 1, "good": 0}]
