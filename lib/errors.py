"""Turn API and network failures into one sentence that says what to do."""

from __future__ import annotations

import openai

from lib.egress import NotAnAPI, is_foreign
from lib.urls import mask_url


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


def explain(
    error: Exception,
    *,
    model: str = "",
    endpoint: str = "",
    key_hint: str = "the key on the Setup page",
    foreign: bool | None = None,
) -> str:
    """A short, specific message for the chat; never includes the key, nor a URL's credentials.

    From a server a visitor chose (`foreign`, found on the request when not given) nothing the server
    said is repeated: it may be an internal service, and its words are not ours to show.
    """
    foreign = is_foreign(error) if foreign is None else foreign
    where = mask_url(endpoint) if endpoint else "the API"
    if isinstance(error, NotAnAPI):
        page = "a web page" if "html" in error.content_type else "something else (not JSON)"
        return f"The server at {where} answered with {page}, not the API. Check the base URL (it usually ends in /v1)."
    if foreign and isinstance(error, openai.APIConnectionError):  # timeouts too: no port-scan oracle
        return (
            f"Could not connect to {where}. In shared mode a server you set must be a public https "
            "address that answers; local, private and non-https addresses are refused."
        )
    if foreign and isinstance(error, openai.APIStatusError):
        return _foreign_status(error, model, key_hint)
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
        return f"Could not reach {where}. Check the base URL and your network."
    if foreign:
        return f"Something went wrong talking to {where} ({type(error).__name__})."
    return f"Something went wrong: {type(error).__name__}: {error}"


def _foreign_status(error: openai.APIStatusError, model: str, key_hint: str) -> str:
    """The status of a visitor's server in our words only: its body could be anything."""
    status = error.status_code
    if status == 401:
        return f"The API key was refused (401). Check {key_hint}."
    if status == 403:
        return "This key is not allowed to do that (403)."
    if status == 404:
        return f"Not found (404). Check the base URL and the model name ({model!r})." if model else "Not found (404)."
    if status == 429:
        wait = retry_after_seconds(error)
        return f"Rate limited (429). Try again {f'in {wait:g} s' if wait is not None else 'in a moment'}."
    if status >= 500:
        return f"The server had an error ({status}). Try again; your message is kept."
    return f"The server refused the request ({status})."


# What to do about each code an `error` event in the stream can carry; {detail} is the server's own words.
_STREAM_ERRORS = {
    "insufficient_quota": "The API key's account is out of credit (insufficient_quota): {detail}. "
    "Add credit or raise the spending limit in the billing settings of its organization, "
    "then send again; your message is kept.",
    "rate_limit_exceeded": "Rate limited while answering: {detail}. Try again in a moment; your message is kept.",
    "server_error": "The server had an error while answering. Try again; your message is kept.",
    "context_length_exceeded": "The conversation no longer fits the context window of {model}: {detail}. "
    "Start a new chat, or pick a model with a larger context on the Setup page.",
    "invalid_prompt": "The prompt was refused: {detail}. Rephrase it and send again.",
    "vector_store_timeout": "Searching the vector store took too long. Try again; your message is kept.",
    "invalid_api_key": "The API key was refused while answering: {detail}. Check the key on the Setup page.",
}
# Image problems share one sentence: the fix is the same, send another image.
_IMAGE_CODES = (
    "invalid_image",
    "image_",
    "invalid_base64_image",
    "unsupported_image_media_type",
    "empty_image_file",
    "failed_to_download_image",
)


def stream_error(error: Exception, *, model: str = "") -> str | None:
    """An `error` event in the stream (raised by the SDK as a bare APIError) in words, or None for other errors."""
    if type(error) is not openai.APIError:
        return None
    body = error.body if isinstance(error.body, dict) else {}
    code = str(body.get("code") or body.get("type") or "")
    detail = str(body.get("message") or error.message or "no details").strip().rstrip(".")
    if is_foreign(error):  # a server a visitor chose: its code picks our sentence, its words are not echoed
        detail = "its message is not shown"
    if code in _STREAM_ERRORS:
        return _STREAM_ERRORS[code].format(detail=detail, model=model or "this model")
    if code.startswith(_IMAGE_CODES) or code == "invalid_image_url":
        return f"An image could not be used ({code}): {detail}. Send another image, or none."
    if code.endswith(("server_error", "internal_error")) or code in {"overloaded", "service_unavailable"}:
        return _STREAM_ERRORS["server_error"]
    where = f" ({code})" if code else ""
    return f"The API stopped the answer with an error{where}: {detail}."
