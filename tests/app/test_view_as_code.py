"""View as code: the Python shown under a turn reproduces the app's request exactly, without the key."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.app.actions import click, send_message
from tests.app.conftest import APP_KEY
from tests.fake_openai import FakeOpenAI


def test_shown_python_sends_the_same_request(app, configured: FakeOpenAI, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_INSTRUCTIONS", "Be brief.")
    at = app().run()
    send_message(at, "Show me the code")
    assert not at.chat_message[1].code  # built only when asked for
    click(at, "View as code")
    python, curl = (block.value for block in at.chat_message[1].code)
    assert "client.responses.create(" in python and 'os.environ["OPENAI_API_KEY"]' in python
    assert "$OPENAI_API_KEY" in curl
    assert APP_KEY not in python and APP_KEY not in curl
    env = {**os.environ, "OPENAI_API_KEY": APP_KEY}
    subprocess.run([sys.executable, "-c", python], env=env, check=True, capture_output=True, timeout=60)
    sent_by_app, sent_by_code = configured.response_requests()
    assert sent_by_code == sent_by_app
    assert sent_by_app["instructions"] == "Be brief." and sent_by_app["input"] == [
        {"role": "user", "content": "Show me the code"}
    ]


def test_view_as_code_is_keyed_by_the_turns_own_id(app, configured: FakeOpenAI) -> None:
    """Issue 13: keys made of id(turn) could open another turn's code once Python reused the address."""
    from lib.ui import state

    at = app().run()
    send_message(at, "First")
    send_message(at, "Second")
    first, second = at.session_state[state.TRANSCRIPT]
    assert len(first.id) == 32 and first.id != second.id
    buttons = [b for b in at.button if b.label == "View as code"]
    assert [b.key for b in buttons] == [f"code_{first.id}", f"code_{second.id}"]
    buttons[0].click().run()
    assert at.session_state[state.CODE_SHOWN] == {first.id}
    assert len(at.chat_message[1].code) == 2 and not at.chat_message[3].code
