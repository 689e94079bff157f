"""A turn on the wire: open streams with bounded retries, follow them (resumed or polled), end on stop or failure."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

import httpx2
import openai
from openai import OpenAI

from lib import turn_log
from lib.conversations import Thread
from lib.errors import explain, retry_after_seconds, stream_error
from lib.limits import USER_STOP, Ending, TurnControl
from lib.pricing import cost_usd
from lib.settings import Settings
from lib.stream import Turn, apply, finish_response, settle

INTERRUPTED = "The connection dropped before the answer finished; what arrived is kept."
RETRIES = 3  # for 429, 5xx and connection failures before any answer arrived
MAX_RETRY_WAIT = 30.0  # a longer Retry-After is reported, not waited for
RESUMES = 5  # times a dropped background stream is picked up again
POLL_SECONDS = 1.0


class Stopped(Exception):
    """The turn was stopped: Stop pressed, a limit passed, or its page gone (`TurnControl.ending` says which)."""


def guarded(
    client: OpenAI, settings: Settings, turn: Turn, rounds: Callable[[float], Iterator[Turn]], control: TurnControl
) -> Iterator[Turn]:
    """Run the rounds; Stop, limits, API and network failures end the turn with what arrived, never raising."""
    started = time.monotonic()
    control.start()
    yield turn
    try:
        yield from rounds(started)
    except Stopped:
        ending = control.ending or USER_STOP
        stop(client, turn, ending)
        turn_log.emit(
            "cancel",
            turn,
            control.owner_hash,
            stopped_by="user" if ending is USER_STOP else "app",
            cancel_on_server=bool(ending.cancel and turn.background),
        )
    except (openai.APIError, httpx2.HTTPError) as error:
        fail(turn, error, settings)
        turn_log.emit("error", turn, control.owner_hash, **_error_fields(error))
    finish(turn, started)
    turn_log.emit("turn_end", turn, control.owner_hash, retries=turn.retries)
    yield turn


def _error_fields(error: Exception) -> dict[str, Any]:
    """What kind of failure, never its message (a foreign server's text may carry anything)."""
    return {"error": type(error).__name__, "http_status": getattr(error, "status_code", None)}


def _retryable(error: Exception) -> bool:
    return isinstance(error, (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError))


def open_stream(
    client: OpenAI, request: dict[str, Any], turn: Turn, control: TurnControl
) -> Generator[Turn, None, Any]:
    """responses.create with visible, bounded retries that honour Retry-After."""
    for attempt in range(RETRIES + 1):
        if control.stopped:
            raise Stopped
        try:
            return client.with_options(max_retries=0, timeout=_timeout(client, control)).responses.create(**request)
        except (openai.APIError, httpx2.HTTPError) as error:
            wait = retry_after_seconds(error) if isinstance(error, openai.APIStatusError) else None
            if not _retryable(error) or attempt == RETRIES or (wait or 0) > MAX_RETRY_WAIT:
                raise
            if wait is None:
                wait = min(8.0, 0.5 * 2**attempt) * random.uniform(0.8, 1.2)
            turn.retries += 1
            turn_log.emit(
                "retry", turn, control.owner_hash, attempt=attempt + 1, wait_s=round(wait, 1), **_error_fields(error)
            )
            turn.notice = (
                f"{explain(error).split(':')[0]}. Retrying in {wait:.0f} s… (retry {attempt + 1} of {RETRIES})"
            )
            yield turn
            if control.wait(wait):
                raise Stopped from None
            turn.notice = None
    raise AssertionError("unreachable")


def _timeout(client: OpenAI, control: TurnControl) -> httpx2.Timeout:
    """The client's connect timeout, and reads bounded by what is left of the turn (or its idle limit)."""
    configured = client.timeout
    connect = configured.connect if isinstance(configured, httpx2.Timeout) else None
    return httpx2.Timeout(control.request_timeout(), connect=connect if connect is not None else 10.0)


def follow(client: OpenAI, turn: Turn, stream: Any, control: TurnControl, *, started: float) -> Iterator[Turn]:
    """Fold a stream into the turn; a dropped background stream is resumed, or polled if it cannot be."""
    turn.status = "in_progress" if turn.status == "pending" else turn.status
    for resume in range(RESUMES + 1):
        if stream is None:
            stream = client.responses.retrieve(
                _background_id(turn), stream=True, starting_after=turn.last_sequence, timeout=_timeout(client, control)
            )
        control.attach(stream)
        try:
            with stream:
                for event in stream:
                    if control.stopped:
                        raise Stopped
                    changed = apply(turn, event)
                    if control.received(event):  # a limit passed, or the page is gone: keep this event, end
                        raise Stopped
                    if changed:
                        if turn.ttft_ms is None and turn.text:
                            turn.ttft_ms = int((time.monotonic() - started) * 1000)
                        yield turn
        except Stopped:
            raise
        except Exception as error:  # a stream closed under the reader fails in more ways than one
            if control.stopped:
                raise Stopped from None
            if not isinstance(error, (openai.APIConnectionError, httpx2.HTTPError)):
                raise
            if not (turn.background and turn.response_id):
                raise
        finally:
            control.attach(None)
        if control.stopped:
            raise Stopped
        if turn.finished or turn.status == "failed":
            return
        if not (turn.background and turn.response_id):
            turn.status, turn.error = "interrupted", INTERRUPTED
            return
        turn.notice = f"The connection dropped; picking the answer up again (try {resume + 1} of {RESUMES})…"
        turn_log.emit("resume", turn, control.owner_hash, reason="dropped", attempt=resume + 1)
        yield turn
        stream = None
    yield from poll(client, turn, control)


def _background_id(turn: Turn) -> str:
    """The id of the background response picked up: only a turn that has one is resumed or polled."""
    assert turn.response_id, "only a background response with an id is picked up again"
    return turn.response_id


def poll(client: OpenAI, turn: Turn, control: TurnControl) -> Iterator[Turn]:
    """Streaming failed for good: poll the background response until it ends."""
    while True:
        response = client.responses.retrieve(_background_id(turn), timeout=_timeout(client, control))
        turn.status, turn.notice = response.status or turn.status, f"Waiting for the answer: {response.status}…"
        yield turn
        if response.status not in {"queued", "in_progress"}:
            finish_response(turn, response)
            turn.notice = None
            return
        if control.wait(POLL_SECONDS):
            raise Stopped


def after_round(thread: Thread, turn: Turn) -> None:
    turn.notice = None
    if turn.status in {"completed", "incomplete"}:
        thread.last_response_id = turn.response_id


def stop(client: OpenAI, turn: Turn, ending: Ending) -> None:
    """Cancel a background response on the server if the ending asks; either way keep what arrived."""
    if ending.cancel and turn.background and turn.response_id and not turn.finished:
        try:
            client.with_options(max_retries=0, timeout=10.0).responses.cancel(turn.response_id)
        except (openai.APIError, httpx2.HTTPError):
            pass  # it may have finished meanwhile; the partial answer is kept either way
    turn.status = ending.status or turn.status
    turn.error, turn.notice = ending.message, None


def fail(turn: Turn, error: Exception, settings: Settings) -> None:
    turn.status = "interrupted" if turn.text else "failed"
    turn.error = stream_error(error, model=settings.model) or explain(
        error, model=settings.model, endpoint=settings.endpoint
    )
    turn.notice = None


def finish(turn: Turn, started: float) -> None:
    settle(turn)  # a huge field cut mid-stream is whole in `data` for the page and the history
    turn.latency_ms = (turn.latency_ms or 0) + int((time.monotonic() - started) * 1000)
    if turn.usage is not None:
        turn.cost_usd = cost_usd(turn.model, turn.usage.as_api(), service_tier=turn.service_tier)
