"""Eval datasets, runs and ratings are the owner's: another visitor can neither see, run, nor rate them."""

from __future__ import annotations

from pathlib import Path

from lib.store import ResponseFilter
from tests.app.test_evals_app import OWNER, open_evals, seed, store_of
from tests.fake_openai import FakeOpenAI, Text


def test_another_visitor_cannot_see_or_run_my_dataset(
    app, configured: FakeOpenAI, clean_env: Path, monkeypatch
) -> None:
    dataset = seed(clean_env)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-someone-else-key-0002")
    at = open_evals(app().run())
    assert "Capitals" not in " ".join(str(s.options) for s in at.selectbox)
    assert "No datasets yet" in at.info[0].value
    # Planting my dataset's id in their session state does not open it either.
    at.session_state["evals_dataset"] = dataset
    at = open_evals(at, "Runs")
    assert "Create a dataset first" in at.info[0].value
    assert configured.response_requests() == []
    store = store_of(clean_env)
    run = store.evals.create_run(OWNER, dataset, "mine", {})
    at.session_state["evals_run"] = run  # my run's id planted in their session: its results stay hidden
    at = open_evals(at, "Runs")
    assert not [d for d in at.dataframe if "pass_rate" in d.value.columns]


def test_another_visitor_cannot_rate_my_answer(app, configured: FakeOpenAI, clean_env: Path, monkeypatch) -> None:
    configured.queue(Text("My answer."))
    app().run().chat_input[0].set_value("Mine").run()
    store = store_of(clean_env)
    (mine,) = store.responses(ResponseFilter(owner=OWNER))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-someone-else-key-0002")
    other = app().run()
    other.switch_page("app_pages/history.py").run()
    assert len(other.feedback) == 0 and "My answer" not in str(other.dataframe[0].value if other.dataframe else "")
    # The store refuses the write even if the page were tricked into it.
    from lib.store import owner_for

    assert not store.feedback.set(owner_for(None, "sk-someone-else-key-0002"), mine["id"], 0)
    assert store.feedback.get(OWNER, mine["id"]) is None
