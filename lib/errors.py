"""Turn API and network failures into one sentence that says what to do."""

from __future__ import annotations

import openai


def retry_after_seconds(error: openai.APIStatusError) -> float | None:
    """The server's Retry-After (seconds or retry-after-ms), if it sent one."""
    headers = error.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return float(value) * scale
            except ValueError:
                return None
    return None


def _detail(error: openai.APIStatusError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    message = body.get("message") or error.message
    return str(message).strip().rstrip(".")


def explain(error: Exception, *, model: str = "", endpoint: str = "", key_hint: str = "the key on the Setup page") -> str:
    """A short, specific message for the chat; never includes the key."""
    if isinstance(error, openai.AuthenticationError):
        return f"The API key was refused (401). Check {key_hint}."
    if isinstance(error, openai.PermissionDeniedError):
        return f"This key is not allowed to do that (403): {_detail(error)}."
    if isinstance(error, openai.NotFoundError):
        if "model" in _detail(error).lower() or (isinstance(error.body, dict) and error.body.get("param") == "model"):
            return f"The model {model!r} was not found (404). Pick another model on the Setup page."
        return f"Not found (404): {_detail(error)}."
    if isinstance(error, openai.RateLimitError):
        wait = retry_after_seconds(error)
        when = f"in {wait:g} s" if wait is not None else "in a moment"
        return f"Rate limited (429): {_detail(error)}. Try again {when}; your message is kept."
    if isinstance(error, openai.BadRequestError):
        param = error.body.get("param") if isinstance(error.body, dict) else None
        where = f" (parameter `{param}`)" if param else ""
        return f"The request was refused (400){where}: {_detail(error)}."
    if isinstance(error, openai.InternalServerError):
        return f"The server had an error ({error.status_code}). Try again; your message is kept."
    if isinstance(error, openai.APIStatusError):
        return f"The API answered {error.status_code}: {_detail(error)}."
    if isinstance(error, openai.APITimeoutError):
        return "The request timed out. Try again; your message is kept."
    if isinstance(error, openai.APIConnectionError):
        return f"Could not reach {endpoint or 'the API'}. Check the base URL and your network."
    return f"Something went wrong: {type(error).__name__}: {error}"
