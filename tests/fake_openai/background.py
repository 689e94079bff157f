"""Background responses: a worker thread produces the events, any number of streams follow them."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from typing import Any

from .emit import Step

Json = dict[str, Any]
TERMINAL = frozenset({"response.completed", "response.failed", "response.incomplete"})
# Publish a snapshot of the response and its events so far; False when the response is gone.
Publish = Callable[[Json, list[Json]], bool]


class Run:
    """One background response being produced, with every event it has produced so far."""

    def __init__(self, steps: list[Step], publish: Publish, finish: Callable[[], None]) -> None:
        # Keep-alive comments belong to a connection, not to the response: they are not stored.
        # Lazily: the steps of an endless response never end.
        self._steps = ((pause, event) for pause, event in steps if isinstance(event, dict))
        self._publish = publish
        self._finish = finish
        self._events: list[Json] = []
        self._finished = False
        self._changed = threading.Condition()
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._work, daemon=True)
        self.resume_cut_after: int | None = None  # events a resumed stream sends before it drops; None: no drop

    def start(self) -> Run:
        """Start producing events in a daemon thread."""
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Stop the worker (a no-op once it has finished) and wait until it has said so."""
        self._cancelled.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def follow(self, after: int) -> Iterator[Step]:
        """Events after sequence number `after`: the stored ones, then live ones until the run ends."""
        position = 0
        while True:
            with self._changed:
                while position >= len(self._events) and not self._finished:
                    self._changed.wait()
                batch = self._events[position:]
                position = len(self._events)
                finished = self._finished
            for event in batch:
                if event["sequence_number"] > after:
                    yield 0.0, event
            if finished and not batch:
                return

    def _work(self) -> None:
        # The response as `response.created` announced it, brought up to date event by event.
        snapshot: Json = {}
        try:
            for pause, event in self._steps:
                snapshot = snapshot or copy.deepcopy(event["response"])
                # Waiting on the cancel flag, not sleeping, lets a cancel stop the run at once.
                stopped = self._cancelled.wait(pause) if pause else self._cancelled.is_set()
                if stopped:
                    snapshot["status"] = "cancelled"
                    self._publish(snapshot, self.events())
                    return
                if event["type"] in TERMINAL:
                    # Store before the terminal event leaves, so a client's next request already sees it.
                    self._finish()
                else:
                    _apply(snapshot, event)
                    # Streams read events from the run itself; copying them all on every step would be quadratic.
                    if not self._publish(snapshot, []):
                        return
                with self._changed:
                    self._events.append(copy.deepcopy(event))
                    self._changed.notify_all()
        finally:
            with self._changed:
                self._finished = True
                self._changed.notify_all()

    def events(self) -> list[Json]:
        """A copy of the events produced so far."""
        with self._changed:
            return copy.deepcopy(self._events)


def _apply(snapshot: Json, event: Json) -> None:
    """Bring the response snapshot up to date with one event."""
    if "response" in event:
        output = snapshot.get("output", [])
        snapshot.clear()
        snapshot.update(copy.deepcopy(event["response"]))
        snapshot["output"] = output
    elif event["type"] in ("response.output_item.added", "response.output_item.done"):
        output = snapshot.setdefault("output", [])
        index = event["output_index"]
        output.extend([{}] * (index + 1 - len(output)))
        output[index] = copy.deepcopy(event["item"])
    elif event["type"] == "response.content_part.added":
        snapshot["output"][event["output_index"]]["content"].append(copy.deepcopy(event["part"]))
    elif event["type"] == "response.output_text.delta":
        # Text so far is what a poller (or a cancelled response) shows of an unfinished message.
        part = snapshot["output"][event["output_index"]]["content"][event["content_index"]]
        part["text"] += event["delta"]


class Runs:
    """The background runs of one server, by response id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, Run] = {}

    def add(self, response_id: str, run: Run) -> Run:
        """Register and start a run."""
        with self._lock:
            self._runs[response_id] = run
        return run.start()

    def get(self, response_id: str) -> Run | None:
        """The run of a background response, or None."""
        with self._lock:
            return self._runs.get(response_id)

    def cancel_all(self) -> None:
        """Stop every run and forget them."""
        with self._lock:
            runs, self._runs = list(self._runs.values()), {}
        for run in runs:
            run.cancel()
