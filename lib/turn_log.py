"""One structured log line per turn event, so an operator can follow a deployment without reading anyone's chat."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from lib.stream import Turn

LOGGER_NAME = "responses_studio.turns"
EVENTS = ("turn_end", "retry", "resume", "cancel", "error")
log = logging.getLogger(LOGGER_NAME)
_configured = False


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is logged: test runners swap it under a long-lived handler."""

    @property
    def stream(self):  # noqa: ANN201 - the base class's attribute
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # noqa: ANN001
        pass


def owner_hash(owner: str) -> str:
    """A short, stable hash of the owner identity: lines of one person group together, nobody is named."""
    return hashlib.sha256(("log:" + owner).encode()).hexdigest()[:12] if owner else ""


def turn_fields(event: str, turn: Turn, owner: str = "", **extra: Any) -> dict[str, Any]:
    """The fields of one line: counts and states only, never a key, a prompt or an answer."""
    usage = turn.usage
    return {
        "event": event,
        "model": turn.model,
        "status": turn.status,
        "response_id": turn.response_id,
        "latency_ms": turn.latency_ms,
        "tokens_in": usage.input_tokens if usage else None,
        "tokens_out": usage.output_tokens if usage else None,
        "owner": owner,
        **extra,
    }


def emit(event: str, turn: Turn, owner: str = "", **extra: Any) -> None:
    """Log one JSON line for `event`; the fields also ride on the record as `turn_event`."""
    if event not in EVENTS:
        raise ValueError(f"unknown turn event {event!r}")
    level = logging.WARNING if event == "error" else logging.INFO
    if log.isEnabledFor(level):
        fields = turn_fields(event, turn, owner, **extra)
        log.log(level, json.dumps(fields, separators=(",", ":")), extra={"turn_event": fields})


def configure(environ: Mapping[str, str] | None = None) -> None:
    """Apply LOG_LEVEL (environment or secrets; default INFO) to the app's loggers, with a handler once."""
    global _configured
    environ = os.environ if environ is None else environ
    raw = (environ.get("LOG_LEVEL") or "INFO").strip().upper()
    named = logging.getLevelNamesMapping().get(raw)
    level = logging.INFO if named is None else named
    for name in ("responses_studio", "lib"):
        logging.getLogger(name).setLevel(level)
    if not _configured:
        # Streamlit gives only its own logger a handler: without one ours would print WARNING and up only.
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        for name in ("responses_studio", "lib"):
            logging.getLogger(name).addHandler(handler)
        _configured = True
    if named is None:
        log.warning("LOG_LEVEL=%r is not a level name; using INFO", raw)
