"""The Evals page in AppTest: a dataset from History, a run of two profiles × three graders, stop, resume, compare."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from lib.profile_format import to_data
from lib.prompt_templates import PromptVersion
from lib.settings import Settings
from lib.store import HistoryStore, ResponseFilter, owner_for
from lib.ui import evals_runs
from tests import eval_double
from tests.app.conftest import APP_KEY
from tests.app.test_history_app import button, open_history
from tests.fake_openai import FakeOpenAI

OWNER = owner_for(None, APP_KEY)


def store_of(clean_env: Path) -> HistoryStore:
    return HistoryStore(f"sqlite:///{clean_env / 'history.db'}")


def open_evals(at: AppTest, tab: str = "Datasets") -> AppTest:
    at.session_state["evals_tab"] = tab
    at.switch_page("app_pages/evals.py")
    return at.run()


def seed(clean_env: Path, countries: list[str] | None = None) -> int:
    """A dataset of capitals and a "terse" profile, as a user would have made them."""
    store = store_of(clean_env)
    try:
        dataset = store.evals.create_dataset(OWNER, "Capitals")
        store.evals.add_rows(OWNER, dataset, eval_double.rows(countries))
        store.profiles.save(OWNER, "terse", to_data(Settings(model="gpt-4.1-mini", instructions=eval_double.TERSE)))
        return dataset
    finally:
        store.close()


def finish(at: AppTest, timeout: float = 30) -> AppTest:
    """Wait for the session's run to end, then rerun the page once, as its fragment would."""
    job = at.session_state[evals_runs.JOB]
    assert job.wait(timeout)
    return at.run()


def frame(at: AppTest, column: str):  # noqa: ANN201 - the first table with this column (tables have no keys)
    return next(d.value for d in at.dataframe if column in d.value.columns)


def choose_graders(at: AppTest) -> AppTest:
    at.multiselect(key="evals_graders").set_value(["exact", "regex", "model"]).run()
    at.text_input(key="evals_g_regex_value").set_value(r"^[A-Z][a-z]+$")
    at.text_area(key="evals_g_rubric").set_value("Names the right capital.")
    return at.run()


def test_a_dataset_from_history_rows(app, configured: FakeOpenAI, clean_env: Path) -> None:
    configured.respond(eval_double.answer)
    at = app().run()
    long = eval_double.question("Peru") + " Explain in detail" + " and more" * 40  # longer than History keeps
    for prompt in (eval_double.question("France"), long):
        at = at.chat_input[0].set_value(prompt).run()
    at = open_history(lambda: at)
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at = at.run()
    at.text_input(key="history_ds_name").set_value("From chat")
    at = button(at, "Add to dataset").click().run()
    assert not at.exception
    assert "Added 2 rows" in at.success[0].value
    store = store_of(clean_env)
    (dataset,) = store.evals.datasets(OWNER)
    ids = {r["id"]: r["input_preview"] for r in store.responses(ResponseFilter(owner=OWNER))}
    rows = store.evals.rows(OWNER, dataset["id"])
    assert dataset["name"] == "From chat"
    by_prompt = {text[:50]: rid for rid, text in ids.items()}
    assert {(r["input"], r["source_response_id"]) for r in rows} == {
        (eval_double.question("France"), by_prompt[eval_double.question("France")]),
        (long, by_prompt[long[:50]]),  # the whole prompt, from the API: History kept only its first words
    }

    # The Datasets tab shows them in its editor (AppTest cannot type into one: the store's edits are unit-tested).
    at = open_evals(at)
    editor = at.data_editor[0]
    assert editor.editing_mode == "dynamic"
    assert sorted(editor.value["input"]) == sorted([eval_double.question("France"), long])
    assert "capital" not in " ".join(m.value for m in at.markdown).lower()  # inputs are data in a table, not markup


def test_run_two_profiles_three_graders_then_compare(app, configured: FakeOpenAI, clean_env: Path) -> None:
    configured.respond(eval_double.answer)
    seed(clean_env)
    at = open_evals(app().run(), "Runs")
    at.multiselect(key="evals_targets").set_value(["current settings", "terse"]).run()
    at = choose_graders(at)
    at = finish(button(at, "Start run").click().run())
    assert not at.exception
    summary = frame(at, "pass_rate")
    assert dict(zip(summary["profile"], summary["passed"], strict=True)) == {"current settings": 0, "terse": 6}
    results = frame(at, "verdicts")
    assert len(results) == 12
    japan = results[(results["profile"] == "terse") & results["input"].str.contains("Japan")].iloc[0]
    assert japan["output"] == "Tokyo" and japan["verdicts"].startswith("✅ exact")
    wrong = results[(results["profile"] == "current settings") & results["input"].str.contains("Japan")].iloc[0]
    assert wrong["output"] == "The capital of Japan is Kyoto." and wrong["reasoning"] == "Does not name Tokyo."
    caption = " ".join(c.value for c in at.caption)
    assert "Estimate: input counted by the API" in caption  # always said how it was found
    judged = [b for b in configured.response_requests() if "text" in b]
    assert len(judged) == 12 and {b["model"] for b in judged} == {"gpt-5-mini"}
    sent = [b for b in configured.response_requests() if "text" not in b]
    assert sorted({b.get("instructions", "") for b in sent}) == ["", eval_double.TERSE]

    # A second run with only the exact grader, then both compared: changed verdicts first.
    at.multiselect(key="evals_graders").set_value(["contains"]).run()
    at = finish(button(at, "Start run").click().run())
    at = open_evals(at, "Compare runs")
    table = frame(at, "changed")
    assert len(table) == 12
    changed = list(table["changed"])
    assert changed == sorted(changed, reverse=True) and sum(changed) == 5  # chatty passes "contains" except Japan
    assert "(same output)" in at.code[0].value or at.code[0].value.startswith("--- run A")


def test_stop_and_resume(app, configured: FakeOpenAI, clean_env: Path) -> None:
    release = threading.Event()

    def slow(body):  # noqa: ANN001, ANN202
        if len(configured.response_requests()) > 2:
            release.wait(10)
        return eval_double.answer(body)

    configured.respond(slow)
    dataset = seed(clean_env)
    at = open_evals(app().run(), "Runs")
    at.number_input(key="evals_concurrency").set_value(1)
    at = button(at, "Start run").click().run()
    job = at.session_state[evals_runs.JOB]
    while job.finished < 2:
        time.sleep(0.02)
    assert "Stop run" in [b.label for b in at.button]
    at = button(at, "Stop run").click().run()
    release.set()
    at = finish(at)
    store = store_of(clean_env)
    (run,) = store.evals.runs(OWNER)
    kept = len(store.evals.results(OWNER, run["id"]))
    assert run["status"] == "stopped" and 2 <= kept < 6
    before = len(configured.response_requests())
    at = finish(button(at, "Resume run").click().run())
    assert store.evals.run(OWNER, run["id"])["status"] == "done"
    assert len(store.evals.results(OWNER, run["id"])) == 6 and dataset
    assert len(configured.response_requests()) - before == 6 - kept  # only the missing rows were sent again
    assert len(frame(at, "verdicts")) == 6


def test_resume_sends_the_settings_the_run_started_with(app, configured: FakeOpenAI, clean_env: Path) -> None:
    release = threading.Event()

    def slow(body):  # noqa: ANN001, ANN202
        if len(configured.response_requests()) > 1:
            release.wait(10)
        return eval_double.answer(body)

    configured.respond(slow)
    seed(clean_env, ["France", "Italy", "Peru"])
    at = open_evals(app().run(), "Runs")
    at.number_input(key="evals_concurrency").set_value(1)
    at = button(at, "Start run").click().run()
    job = at.session_state[evals_runs.JOB]
    while job.finished < 1:
        time.sleep(0.02)
    at = button(at, "Stop run").click().run()
    release.set()
    at = finish(at)
    at.session_state["settings"] = {**at.session_state["settings"], "model": "o4-mini"}  # changed since
    at = finish(button(at, "Resume run").click().run())
    sent = {b["model"] for b in configured.response_requests()}
    assert sent == {"gpt-5-mini"}  # the run's own settings, not today's


def test_a_profile_with_a_prompt_template_runs_with_its_defaults(app, configured: FakeOpenAI, clean_env: Path) -> None:
    """A run has no form for the template's variables: their defaults fill it, and a resumed run sends the same."""
    configured.respond(eval_double.answer)
    seed(clean_env, ["Japan"])
    store = store_of(clean_env)
    store.prompts.save(OWNER, PromptVersion("geo", 0, "Answer in {{style}}.", "Quiz: {{input}}", {"style": "one word"}))
    store.prompts.save(OWNER, PromptVersion("blank", 0, "Answer in {{style}}."))
    store.profiles.save(OWNER, "geo", to_data(Settings(prompt_template="geo")))
    store.profiles.save(OWNER, "blank", to_data(Settings(prompt_template="blank")))
    store.close()
    at = open_evals(app().run(), "Runs")
    at.multiselect(key="evals_targets").set_value(["geo", "blank"]).run()
    assert any("blank: give style a default value" in e.value for e in at.error)
    at.multiselect(key="evals_graders").set_value(["contains"]).run()
    at = finish(button(at, "Start run").click().run())
    assert not at.exception
    (sent,) = configured.response_requests()
    assert sent["instructions"] == "Answer in one word."
    assert sent["input"][0]["content"] == "Quiz: " + eval_double.rows(["Japan"])[0]["input"]
