"""`python -m lib.cli eval`: a saved dataset run against profiles with graders, a summary, and the exit status."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lib.cli import main
from lib.identity import local_owner
from lib.profile_format import to_data
from lib.prompt_templates import PromptVersion
from lib.settings import Settings
from lib.store import HistoryStore
from tests import eval_double
from tests.fake_openai import FakeOpenAI

KEY = "sk-cli-eval-key-000001"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def saved(tmp_path: Path, fake_openai: FakeOpenAI) -> dict[str, str]:
    """A dataset and a profile saved for this key, and the environment that names the double."""
    url = f"sqlite:///{tmp_path / 'h.db'}"
    store = HistoryStore(url)
    owner = local_owner(KEY)
    dataset = store.evals.create_dataset(owner, "Capitals")
    store.evals.add_rows(owner, dataset, eval_double.rows())
    store.profiles.save(owner, "terse", to_data(Settings(model="gpt-4.1-mini", instructions=eval_double.TERSE)))
    store.close()
    fake_openai.respond(eval_double.answer)
    return {
        "OPENAI_API_KEY": KEY,
        "OPENAI_BASE_URL": fake_openai.base_url,
        "HISTORY_DATABASE_URL": url,
        "HOME": str(tmp_path),
    }


def run(argv: list[str], environ: dict[str, str], tmp_path: Path) -> tuple[int, str]:
    out = io.StringIO()
    return main(["eval", *argv], environ=environ, cwd=tmp_path, out=out), out.getvalue()


def test_passing_profile_exits_0_and_prints_the_summary(saved, tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    code, out = run(
        ["Capitals", "--profile", "terse", "--grader", "exact", "--grader", "regex:^[A-Z]"], saved, tmp_path
    )
    assert code == 0
    assert "terse: 6/6 passed (100%)" in out
    summary = json.loads(out.strip().splitlines()[-1])["summary"]
    assert [(s["profile"], s["passed"], s["rows"]) for s in summary] == [("terse", 6, 6)]
    assert {b["instructions"] for b in fake_openai.response_requests()} == {eval_double.TERSE}


def test_below_the_threshold_exits_1(saved, tmp_path: Path, capsys) -> None:
    code, out = run(
        [
            "Capitals",
            "--profile",
            "terse",
            "--profile",
            "current settings",
            "--grader",
            "contains",
            "--min-pass-rate",
            "0.9",
        ],
        saved,
        tmp_path,
    )
    assert code == 1
    assert "current settings: 5/6 passed (83%)" in out  # the chatty answer names Kyoto for Japan
    assert "Below the pass rate 90%: current settings." in capsys.readouterr().err


def test_model_graded_with_the_double_as_judge(saved, tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    code, out = run(
        ["Capitals", "--grader", "model:gpt-5-mini:Names the right capital.", "--min-pass-rate", "0.8"], saved, tmp_path
    )
    assert code == 0 and "current settings: 5/6 passed" in out
    judged = [b for b in fake_openai.response_requests() if "text" in b]
    assert len(judged) == 6 and {b["model"] for b in judged} == {"gpt-5-mini"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["Nope"], "No dataset named 'Nope'"),
        (["Capitals", "--profile", "ghost"], "No profile named 'ghost'"),
        (["Capitals", "--grader", "regex:(a+)+"], "take forever"),
        (["Capitals", "--grader", "fuzzy"], "Unknown grader"),
        (["Capitals", "--min-pass-rate", "2"], "between 0 and 1"),
    ],
)
def test_bad_input_exits_2_with_a_message(saved, tmp_path: Path, capsys, argv, message) -> None:
    code, _ = run(argv, saved, tmp_path)
    assert code == 2 and message in capsys.readouterr().err


def test_another_keys_dataset_is_not_found(saved, tmp_path: Path, capsys) -> None:
    code, _ = run(["Capitals"], {**saved, "OPENAI_API_KEY": "sk-someone-else-0002"}, tmp_path)
    assert code == 2 and "No dataset named 'Capitals' for this key" in capsys.readouterr().err


def test_as_a_command(saved, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lib.cli", "eval", "Capitals", "--profile", "terse"],
        cwd=ROOT,
        env={**saved, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "terse: 6/6 passed (100%)" in done.stdout


def test_a_profile_with_a_prompt_template_runs_with_its_defaults(
    saved, tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    store = HistoryStore(saved["HISTORY_DATABASE_URL"])
    owner = local_owner(KEY)
    store.prompts.save(owner, PromptVersion("geo", 0, "Answer in {{style}}.", "Quiz: {{input}}", {"style": "one word"}))
    store.profiles.save(owner, "geo", to_data(Settings(prompt_template="geo")))
    store.profiles.save(owner, "lost", to_data(Settings(prompt_template="nowhere")))
    store.close()
    run(["Capitals", "--profile", "geo", "--grader", "contains"], saved, tmp_path)
    first = fake_openai.response_requests()[0]
    assert first["instructions"] == "Answer in one word." and first["input"][0]["content"].startswith("Quiz: ")
    assert run(["Capitals", "--profile", "lost"], saved, tmp_path)[0] == 2
