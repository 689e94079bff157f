"""Whether the browser session that started a turn is still there, asked from the turn's own threads."""

from __future__ import annotations

from collections.abc import Callable


def alive_check() -> Callable[[], bool]:
    """A check any thread may call: True while this session is connected (or when that cannot be told).

    `Runtime.is_active_session` is documented thread-safe; a closed tab leaves the active sessions at once
    (Streamlit keeps it a while for a reconnect, which TurnLimits.session_grace_s allows for).
    """
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    try:  # internals may move: unknown then, and a turn is never stopped on a guess
        ctx = get_script_run_ctx()
        instance = runtime.get_instance() if ctx is not None and runtime.exists() else None
    except Exception:  # noqa: BLE001
        instance = None
    if instance is None or ctx is None:
        return lambda: True
    session_id = ctx.session_id

    def alive() -> bool:
        answer = instance.is_active_session(session_id)
        return answer if isinstance(answer, bool) else True  # AppTest's runtime is a stand-in

    return alive
