"""A turn that runs in its own thread, so a rerun or a page switch never loses it, and a closed tab ends it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

from lib import turn_log
from lib.chat import TurnControl
from lib.settings import Settings
from lib.stream import Turn

log = logging.getLogger(__name__)


class TurnJob:
    """Drives a turn's updates to the end in a daemon thread; the page only looks at `turn`.

    A watchdog thread ends the turn at its deadline, after a silent stretch, or once `alive` (a check
    that the page which started it is still there) says no: it closes the stream a read is blocked on.
    """

    def __init__(
        self,
        updates: Iterator[Turn],
        control: TurnControl,
        on_done: Callable[[Turn], str | None],
        alive: Callable[[], bool] | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.control = control
        self.settings = settings  # what the turn runs with: the page may have other settings when it collects
        if alive is not None:
            control.alive = alive
        self.turn: Turn | None = None
        self.version = 0  # bumped on every update, so a renderer can tell whether anything changed
        self.note: str | None = None  # what on_done had to say (e.g. the history could not be saved)
        self._updates = updates
        self._on_done = on_done
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="turn", daemon=True)
        self._thread.start()
        threading.Thread(target=self._watch, name="turn-watchdog", daemon=True).start()

    @property
    def done(self) -> bool:
        """True once the turn has ended (answered, failed, stopped or waiting for approval)."""
        return self._done.is_set()

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds for the end; True if it ended."""
        return self._done.wait(timeout)

    def stop(self) -> None:
        """Ask the turn to stop; it ends soon after, keeping what arrived."""
        self.control.stop()

    def _watch(self) -> None:
        """Between the worker's own checks (it checks at every event), end a turn that is blocked or forgotten."""
        while not self._done.wait(self.control.watch_interval()):
            if not self.control.stopped and (ending := self.control.overdue()):
                log.info("ending a turn early: %s", ending.message)
                self.control.stop(ending)

    def _run(self) -> None:
        try:
            for turn in self._updates:
                self.turn = turn
                self.version += 1
        except Exception as exc:  # run_turn reports its own errors; this is a bug, and must not hang the page
            log.exception("turn worker failed")
            if self.turn is not None:
                self.turn.status, self.turn.error = "failed", "Something went wrong in the app; see its log."
                turn_log.emit("error", self.turn, self.control.owner_hash, error=type(exc).__name__)
        finally:
            try:
                if self.turn is not None:
                    self.note = self._on_done(self.turn)
            except Exception:
                log.exception("recording the turn failed")
            self._done.set()
