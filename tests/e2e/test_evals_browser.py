"""In Chromium: 👍 under a chat answer is stored; History filters by it; the Evals page runs a dataset to the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lib.store import HistoryStore, ResponseFilter, owner_for
from tests import eval_double
from tests.e2e.actions import wait_idle
from tests.e2e.conftest import E2E_KEY
from tests.fake_openai import FakeOpenAI

OWNER = owner_for(None, E2E_KEY)


@pytest.fixture(scope="module")
def history_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("evals-data") / "history.db"


@pytest.fixture(scope="module")
def app_extra_env(history_path: Path) -> dict[str, str]:
    """This module's app keeps its history where the test can read it."""
    return {"HISTORY_DATABASE_URL": f"sqlite:///{history_path}"}


@pytest.fixture
def store(history_path: Path, app_url: str) -> Iterator[HistoryStore]:
    opened = HistoryStore(f"sqlite:///{history_path}")
    yield opened
    opened.close()


def test_thumbs_up_is_stored_and_a_run_finishes(
    page: Page, app_url: str, fake: FakeOpenAI, store: HistoryStore
) -> None:
    fake.respond(eval_double.answer)
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.goto(app_url)
    wait_idle(page)
    page.get_by_test_id("stChatInputTextArea").fill(eval_double.question("France"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("The capital of France is Paris.")).to_be_visible(timeout=20_000)
    wait_idle(page)
    page.get_by_test_id("stFeedback").get_by_test_id("stFeedbackButton").first.click()  # 👍 comes first
    expect(page.get_by_text("Rated good")).to_be_visible(timeout=20_000)
    (response,) = store.responses(ResponseFilter(owner=OWNER))
    assert store.feedback.get(OWNER, response["id"])["rating"] == 1

    # A dataset of two rows and a run of it, through the page.
    dataset = store.evals.create_dataset(OWNER, "Browser set")
    store.evals.add_rows(OWNER, dataset, eval_double.rows(["Italy", "Kenya"]))
    page.goto(f"{app_url}/evals")
    wait_idle(page)
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text("What is the capital of Italy?", timeout=20_000)
    page.get_by_role("tab", name="Runs", exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name="Start run").click()
    results_table = page.get_by_test_id("stDataFrame").filter(has_text="The capital of Kenya is Nairobi.")
    expect(results_table).to_have_count(1, timeout=30_000)  # drawn once the run ended
    summary = page.get_by_test_id("stDataFrame").filter(has_text="Pass rate")
    expect(summary).to_contain_text("current settings20")  # 2 rows, 0 passed: a sentence is no exact match
    (run,) = store.evals.runs(OWNER)
    results = store.evals.results(OWNER, run["id"])
    assert run["status"] == "done" and [r["output"] for r in results] == [
        "The capital of Italy is Rome.",
        "The capital of Kenya is Nairobi.",
    ]
