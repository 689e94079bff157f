"""In Chromium under `streamlit run`: the peer address is read, so the app on 127.0.0.1 opens in local mode.

Local mode fails closed (lib.access.is_local): if Streamlit's internals stopped giving us the websocket's
peer, this page would turn shared and refuse the key in the environment; this test would then fail.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.actions import wait_idle


@pytest.fixture(scope="module")
def app_extra_env() -> dict[str, str]:
    """No APP_MODE: the mode follows from where the browser is."""
    return {"APP_MODE": ""}


def test_the_peer_is_known_so_localhost_is_local(page: Page, app_url: str) -> None:
    page.goto(f"{app_url}/setup")
    wait_idle(page)
    expect(page.get_by_role("heading", name="Setup")).to_be_visible()
    expect(page.get_by_text("Mode: local", exact=False)).to_be_visible()
    expect(page.get_by_text("will not use it", exact=False)).to_have_count(0)
