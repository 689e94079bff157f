"""How long and how much one turn may take, and who ends it early: the user, a limit, or its page going away."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lib.turn import TurnStatus

log = logging.getLogger(__name__)

STOPPED = "Stopped. What arrived before you stopped is kept."

# Setting -> the environment/secrets variable it is read from (Streamlit copies top-level secrets into
# the environment). Deliberately not a Settings field: the session layer and profiles override those,
# and a limit that a visitor can lift is no limit.
ENV_NAMES = {
    "deadline_s": "TURN_DEADLINE_S",
    "background_deadline_s": "BACKGROUND_TURN_DEADLINE_S",
    "idle_s": "TURN_IDLE_S",
    "max_bytes": "MAX_TURN_BYTES",
    "session_grace_s": "SESSION_GRACE_S",
}


@dataclass(frozen=True)
class TurnLimits:
    """Bounds on one turn, so that no endpoint can hold a worker thread and a socket for ever."""

    # A plain turn holds a thread and a socket for its whole life; 10 min is the SDK's own read timeout
    # and far above a normal answer (long-thinking models run as background responses, below).
    deadline_s: float = 600.0
    # Background turns (o3-pro, deep research, effort "high") routinely think for many minutes.
    background_deadline_s: float = 1800.0
    # No event at all on a plain stream: reasoning models may think silently for a few minutes.
    idle_s: float = 300.0
    # Text, refusals, summaries, arguments and code as they stream in: a long answer is ~100 KB.
    max_bytes: int = 4 * 1024 * 1024
    # Streamlit keeps a disconnected session 2 min for a reconnect; a short network drop must not stop a turn.
    session_grace_s: float = 60.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TurnLimits:
        """The limits the deployment set (environment or secrets); a bad value keeps the default."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = (environ.get(ENV_NAMES[spec.name]) or "").strip()
            if not raw:
                continue
            try:
                value = int(raw) if spec.name == "max_bytes" else float(raw)
            except ValueError:
                value = -1
            if value > 0 or (spec.name == "session_grace_s" and value == 0):
                values[spec.name] = value
            else:
                log.warning("%s=%r is not a positive number; using %s", ENV_NAMES[spec.name], raw, spec.default)
        return cls(**values)

    def deadline(self, background: bool) -> float:
        """Seconds a turn may run."""
        return self.background_deadline_s if background else self.deadline_s


@dataclass(frozen=True)
class Ending:
    """Why a turn ended before its answer did, and what that means for it."""

    message: str
    status: TurnStatus | None  # the turn's status afterwards; None leaves it (a background answer goes on)
    cancel: bool  # cancel a background response on the server


USER_STOP = Ending(STOPPED, "cancelled", cancel=True)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def deadline_passed(seconds: float) -> Ending:
    """The turn ran longer than it may."""
    return Ending(
        f"Stopped after {_minutes(seconds)}, this app's time limit for one answer. What arrived is kept.",
        "incomplete",
        cancel=True,
    )


def too_large(limit: int) -> Ending:
    """The stream delivered more than a turn may hold."""
    return Ending(
        f"Stopped: the answer passed {limit / 1_048_576:g} MB, this app's size limit for one answer. "
        "What arrived is kept.",
        "incomplete",
        cancel=True,
    )


def idle_for(seconds: float) -> Ending:
    """A plain stream sent nothing for too long."""
    return Ending(
        f"The server sent nothing for {_minutes(seconds)}, so the connection was closed. What arrived is kept.",
        "interrupted",
        cancel=False,
    )


def session_gone(background: bool) -> Ending:
    """The page that started the turn has gone; a background answer goes on on the server for a reload."""
    if background:
        return Ending(
            "The page was closed while the answer was written; it goes on on the server, and opening "
            "the chat again picks it up.",
            None,
            cancel=False,
        )
    return Ending("The page was closed before the answer finished; what arrived is kept.", "interrupted", cancel=False)


def delta_bytes(event: Any) -> int:
    """Bytes of streamed text an event adds (text, refusal, summary, arguments, code); 0 for the rest."""
    delta = getattr(event, "delta", None)
    return len(delta.encode("utf-8", "replace")) if isinstance(delta, str) else 0


class TurnControl:
    """Shared by the turn's worker, its watchdog and the page: why to stop, and the stream to close."""

    def __init__(
        self, limits: TurnLimits | None = None, alive: Callable[[], bool] | None = None, owner_hash: str = ""
    ) -> None:
        self.limits = limits
        self.owner_hash = owner_hash  # lib.turn_log.owner_hash of whoever started the turn, for the log lines
        self.alive = alive  # asks "is the page that started this turn still there?"; any thread may call it
        self.ending: Ending | None = None
        self.received_bytes = 0
        self._stop = threading.Event()
        self._stream: Any = None
        self._background = False
        self._started = self._last_event = time.monotonic()
        self._gone_since: float | None = None

    @property
    def stopped(self) -> bool:
        """True once the turn was asked to stop, for whatever reason."""
        return self._stop.is_set()

    def stop(self, ending: Ending = USER_STOP) -> None:
        """End the turn (the first reason given wins), and close the open stream so a blocked read returns."""
        if self.ending is None:
            self.ending = ending
        self._stop.set()
        stream = self._stream
        if stream is not None:
            try:
                stream.close()
            except Exception:  # closing from another thread races the reader; either way it ends
                pass

    def start(self) -> None:
        """The turn begins now: its deadline counts from here."""
        self.limits = self.limits or TurnLimits.from_env()
        self._started = self._last_event = time.monotonic()

    def running_as(self, background: bool) -> None:
        """Say whether the current round is a background response (its deadline and idle rule differ)."""
        self._background = background

    def attach(self, stream: Any) -> None:
        """Remember the open stream, so stop() can close it."""
        self._stream = stream
        self._last_event = time.monotonic()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True if the turn was stopped meanwhile."""
        return self._stop.wait(seconds)

    def received(self, event: Any) -> bool:
        """Count an event against the limits (worker, between events); True if the turn must stop now."""
        self._last_event = time.monotonic()
        self.received_bytes += delta_bytes(event)
        limits = self._limits()
        if self.received_bytes > limits.max_bytes:
            self.stop(too_large(limits.max_bytes))
        elif ending := self.overdue():
            self.stop(ending)
        return self.stopped

    def overdue(self) -> Ending | None:
        """A reason to end the turn now (deadline, silence, page gone), or None; any thread may ask."""
        limits, now = self._limits(), time.monotonic()
        if now - self._started > limits.deadline(self._background):
            return deadline_passed(limits.deadline(self._background))
        if self._stream is not None and not self._background and now - self._last_event > limits.idle_s:
            return idle_for(limits.idle_s)
        if self._page_gone(now, limits.session_grace_s):
            return session_gone(self._background)
        return None

    def request_timeout(self) -> float:
        """Seconds one request may wait for its next bytes: a backstop for what the watchdog cannot close."""
        limits = self._limits()
        left = max(1.0, limits.deadline(self._background) - (time.monotonic() - self._started))
        return left if self._background else min(left, limits.idle_s + 5.0)

    def watch_interval(self) -> float:
        """How often a watchdog should look: often enough for the shortest limit."""
        limits = self._limits()
        shortest = min(limits.deadline_s, limits.idle_s, limits.session_grace_s or 1.0)
        return min(1.0, max(0.02, shortest / 4))

    def _limits(self) -> TurnLimits:
        if self.limits is None:
            self.limits = TurnLimits.from_env()
        return self.limits

    def _page_gone(self, now: float, grace: float) -> bool:
        if self.alive is None:
            return False
        try:
            alive = self.alive()
        except Exception:  # noqa: BLE001 - Streamlit internals may move: unknown counts as alive
            log.exception("could not tell whether the session is still there")
            alive = True
        if alive:
            self._gone_since = None
            return False
        self._gone_since = self._gone_since if self._gone_since is not None else now
        return now - self._gone_since >= grace
