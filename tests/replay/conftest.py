"""Replay fixtures: the AppTest ones (the real app, configured to talk to the double)."""

from __future__ import annotations

from tests.app.conftest import app, clean_env, configured  # noqa: F401 - fixtures used by the replay tests
