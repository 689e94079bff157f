"""An eval run: each dataset row × target sent as a fresh response from worker threads, graded and stored."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import httpx2
import openai
from openai import OpenAI

from lib import graders
from lib.chat import run_turn
from lib.conversations import Thread
from lib.errors import explain
from lib.eval_cost import Admission
from lib.graders import Grader, GraderError, Verdict
from lib.limits import TurnControl
from lib.pricing import cost_usd
from lib.profile_format import from_data, without_endpoint
from lib.prompt_templates import with_defaults, wrap_message
from lib.settings import Settings
from lib.store.evals import Evals
from lib.store.prompts import PromptTemplates
from lib.stream import Turn

log = logging.getLogger(__name__)
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 16
CURRENT = "current settings"  # the target name of the settings in use, when no profile is chosen
PAGE_GONE = "The run stopped when its page was closed; what finished is kept. Resume it to send the rest."


@dataclass(frozen=True)
class Target:
    """One column of a run: a profile (or the current settings) resolved over this session's key and endpoint."""

    name: str
    settings: Settings
    wrap: str = ""  # the profile's prompt template's user message, filled in (lib.prompt_templates.with_defaults)

    def message(self, row_input: str) -> str:
        """The user message this target sends for a row's input."""
        return wrap_message(self.wrap, row_input)


def target_for(base: Settings, name: str, profile: dict[str, Any] | None) -> Target:
    """A profile's settings on the session's endpoint (a profile never chooses where requests go)."""
    if profile is None:
        return Target(name or CURRENT, base)
    kept, _ = without_endpoint(profile)
    return Target(name, base.with_changes(**from_data(kept)))


def with_template(target: Target, prompts: PromptTemplates, owner: str) -> Target:
    """A target whose settings name a prompt template, with the template's text in them, its variables filled with
    their defaults (a run has no form to fill) and its user message kept as `wrap`; stored that way, a resumed
    run sends the same. Raises LookupError (no such template) or MissingVariables (a variable with no default)."""
    settings = target.settings
    if not settings.prompt_template:
        return target
    template = prompts.get(owner, settings.prompt_template, settings.prompt_version)
    if template is None:
        raise LookupError(f"its prompt template {settings.prompt_template!r} is not among yours")
    instructions, wrap = with_defaults(template)
    if template.instructions.strip():
        settings = replace(settings, instructions=instructions)
    return Target(target.name, replace(settings, prompt_template="", prompt_version=None), wrap)


Judge = Callable[[Grader, str], tuple[float, str]]


def judge_with(client: OpenAI, spent: Callable[[float], None] | None = None) -> Judge:
    """The judge for model-graded rubrics: one structured-output request per output, with the SDK's retries."""

    def judge(grader: Grader, prompt: str) -> tuple[float, str]:
        response = client.with_options(max_retries=3).responses.create(**graders.judge_request(grader, prompt))
        if spent is not None and response.usage is not None:
            spent(cost_usd(grader.judge_model, response.usage.model_dump()) or 0.0)
        return graders.parse_judgement(response.output_text)

    return judge


def grade_all(checks: list[Grader], row: dict[str, Any], output: str, judge: Judge | None) -> list[Verdict]:
    """Every grader's verdict on one output; a grader that fails says why in its verdict, never raises."""
    verdicts = []
    for grader in checks:
        prompt = graders.judge_prompt(grader, row["input"], row.get("expected"), row.get("notes"), output)
        try:
            verdicts.append(graders.grade(grader, output, row.get("expected"), judge, prompt))
        except (GraderError, openai.APIError, httpx2.HTTPError) as error:
            reason = explain(error) if not isinstance(error, GraderError) else str(error)
            verdicts.append(Verdict(grader.name, False, 0.0, f"Grader failed: {reason}"))
    return verdicts


def result_of(turn: Turn, verdicts: list[Verdict]) -> dict[str, Any]:
    """What the store keeps of one row × target."""
    passed, score = graders.overall(verdicts)
    answered = turn.status in ("completed", "incomplete")
    usage = turn.usage
    return {
        "status": turn.status,
        "output": turn.text,
        "error": turn.error,
        "response_id": turn.response_id,
        "verdicts": [v.__dict__ for v in verdicts],
        "passed": int(answered and passed),
        "score": score if answered else 0.0,
        "input_tokens": usage.input_tokens if usage else 0,
        "output_tokens": usage.output_tokens if usage else 0,
        "cost_usd": turn.cost_usd,
        "latency_ms": turn.latency_ms,
    }


class EvalJob:
    """Runs the missing row × target pairs of one run, `concurrency` at a time, in daemon threads.

    Results are stored as each pair ends, so a stopped (or crashed) run resumes with only what is missing.
    """

    def __init__(
        self,
        evals: Evals,
        owner: str,
        run_id: int,
        rows: list[dict[str, Any]],
        targets: list[Target],
        checks: list[Grader],
        client: Callable[[Settings], OpenAI],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        done: set[tuple[int, str]] | None = None,
        admission: Admission | None = None,
        alive: Callable[[], bool] | None = None,
        judge_client: OpenAI | None = None,
    ) -> None:
        self.evals, self.owner, self.run_id = evals, owner, run_id
        self.targets, self.checks, self._client = targets, checks, client
        self.concurrency = max(1, min(MAX_CONCURRENCY, concurrency))
        self.admission, self.alive = admission, alive
        self._judge_client = judge_client
        self.pairs = [(row, t) for row in rows for t in targets if (row["id"], t.name) not in (done or set())]
        self.total = len(rows) * len(targets)
        self.status: dict[tuple[int, str], str] = {(r["id"], t.name): "queued" for r, t in self.pairs}
        for key in done or set():
            self.status[key] = "done"
        self.finished = self.total - len(self.pairs)
        self.note: str | None = None  # why the run stopped early (budget), for the page
        self.version = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._controls: set[TurnControl] = set()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"eval-run-{run_id}", daemon=True)

    def start(self) -> EvalJob:
        """Begin in the background; returns self."""
        self._thread.start()
        return self

    @property
    def done(self) -> bool:
        """True once every pair ended, or the run stopped."""
        return self._done.is_set()

    @property
    def stopping(self) -> bool:
        """True once Stop was asked for."""
        return self._stop.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block up to `timeout` seconds for the end; True if it ended."""
        return self._done.wait(timeout)

    def stop(self, note: str | None = None) -> None:
        """Stop sending rows and end the ones in flight; what finished stays stored."""
        with self._lock:
            if not self._stop.is_set():
                self.note = self.note or note
            self._stop.set()
            controls = list(self._controls)
        for control in controls:
            control.stop()

    def _page_gone(self) -> bool:
        """The page that started the run is gone (a closed tab): a run stops with its session, as a turn does."""
        try:
            return self.alive is not None and not self.alive()
        except Exception:  # noqa: BLE001 - unknown counts as there
            return False

    def _set(self, key: tuple[int, str], state: str, *, finished: bool = False) -> None:
        with self._lock:
            self.status[key] = state
            self.finished += finished
            self.version += 1

    def _run(self) -> None:
        try:
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"eval-{self.run_id}") as pool:
                for future in [pool.submit(self._one, row, target) for row, target in self.pairs]:
                    future.result()
        except Exception:  # a bug here must not leave the page waiting for ever
            log.exception("eval run %s failed", self.run_id)
            self.note = self.note or "The run stopped on an error in the app; see its log. Resume to go on."
            self._stop.set()
        finally:
            try:
                self.evals.set_run_status(self.owner, self.run_id, "stopped" if self._stop.is_set() else "done")
            finally:
                self.version += 1
                self._done.set()

    def _one(self, row: dict[str, Any], target: Target) -> None:
        key = (row["id"], target.name)
        if not self._stop.is_set() and self._page_gone():
            self.stop(PAGE_GONE)
        if self._stop.is_set():
            self._set(key, "stopped")
            return
        tab = None
        if self.admission is not None:
            tab, refused = self.admission.admit(target.settings, target.message(row["input"]))
            if refused:
                self._set(key, "stopped")
                self.stop(refused)
                return
        control = TurnControl(alive=self.alive)
        with self._lock:
            self._controls.add(control)
        self._set(key, "running")
        turn = Turn(prompt=row["input"])
        try:
            sent = target.message(row["input"])
            for update in run_turn(
                self._client(target.settings), target.settings, Thread(chained=True), sent, control=control
            ):
                turn = update
        finally:
            with self._lock:
                self._controls.discard(control)
            if self.admission is not None:
                self.admission.settle(tab, turn)
        if control.stopped and (self._stop.is_set() or self._page_gone()):
            self.stop(PAGE_GONE)  # (a note only if the page went: Stop pressed already set the flag)
            self._set(key, "stopped")  # not a result: a resumed run sends it again
            return
        answered = turn.status in ("completed", "incomplete")
        judge = judge_with(
            self._judge_client or self._client(target.settings), self.admission.charge if self.admission else None
        )
        verdicts = grade_all(self.checks, row, turn.text, judge) if answered else []
        result = result_of(turn, verdicts)
        self.evals.save_result(self.owner, self.run_id, row["id"], target.name, result)
        self._set(key, ("passed" if result["passed"] else "failed") if answered else "error", finished=True)
