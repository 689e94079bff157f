"""A shared deployment on the default SQLite file is told its history will not last, and how to fix it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.turn_records import HISTORY_URL_EXAMPLE, ephemeral_store_warning
from lib.ui import state
from tests.db import postgres_schema_url
from tests.fake_openai import FakeOpenAI

VISITOR_KEY = "sk-visitor-own-key-51d2"
PAGES = ("app_pages/history.py", "app_pages/setup.py")


def warnings_on(app, fake: FakeOpenAI, page: str) -> list[str]:
    """The warnings a visitor who typed their own key sees on `page`."""
    at: AppTest = app()
    at.session_state[state.SETTINGS] = {"api_key": VISITOR_KEY, "base_url": fake.base_url}
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    return [w.value for w in at.warning]


@pytest.fixture
def deployment(clean_env: Path, monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI) -> FakeOpenAI:
    """Shared mode, the double allowed as a visitor's endpoint, and no HISTORY_DATABASE_URL."""
    monkeypatch.setenv("APP_MODE", "shared")
    monkeypatch.setenv("ALLOWED_BASE_URLS", fake_openai.base_url)  # the double is on loopback
    monkeypatch.delenv("HISTORY_DATABASE_URL")
    return fake_openai


@pytest.mark.parametrize("page", PAGES)
def test_shared_mode_on_the_default_sqlite_file_warns_with_the_fix(app, deployment, page) -> None:
    (warning,) = warnings_on(app, deployment, page)
    assert warning == ephemeral_store_warning("shared", "")
    assert "HISTORY_DATABASE_URL" in warning and HISTORY_URL_EXAMPLE in warning and "sslmode=require" in warning


@pytest.mark.parametrize("page", PAGES)
def test_no_warning_with_a_postgresql_url(app, deployment, monkeypatch, page) -> None:
    with postgres_schema_url() as url:
        monkeypatch.setenv("HISTORY_DATABASE_URL", url)
        assert warnings_on(app, deployment, page) == []


@pytest.mark.parametrize("page", PAGES)
def test_no_warning_in_local_mode(app, deployment, monkeypatch, page) -> None:
    monkeypatch.setenv("APP_MODE", "local")
    monkeypatch.setenv("OPENAI_API_KEY", VISITOR_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", deployment.base_url)
    at: AppTest = app()
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    assert [w.value for w in at.warning] == []


def test_the_rule() -> None:
    assert ephemeral_store_warning("local", "") is None
    assert ephemeral_store_warning("shared", "postgresql+psycopg://u:p@db.example.com:5432/h?sslmode=require") is None
    assert ephemeral_store_warning("shared", "")
