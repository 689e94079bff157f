"""API-key checks with OpenAI's 401 bodies."""

from __future__ import annotations

from .api import JsonReply
from .scripts import error_body

_MISSING = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
)


def mask_key(key: str) -> str:
    """Mask a key the way OpenAI's 401 message does: a few leading and trailing characters."""
    if len(key) <= 8:
        return key[:3] + "*" * (len(key) - 3) if len(key) > 3 else "*" * len(key)
    return key[:3] + "*" * (len(key) - 7) + key[-4:]


def request_key(headers: dict[str, str]) -> str:
    """The key a request carries: `Authorization: Bearer` (OpenAI) or `api-key` (Azure)."""
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return headers.get("api-key", "")


def auth_error(api_keys: set[str] | None, headers: dict[str, str]) -> JsonReply | None:
    """A 401 when keys are enforced and the request's key is missing or unknown, else None."""
    if api_keys is None:
        return None
    key = request_key(headers)
    if key in api_keys:
        return None
    if not key:
        return JsonReply(401, error_body(_MISSING, type="invalid_request_error"))
    message = (
        f"Incorrect API key provided: {mask_key(key)}. "
        "You can find your API key at https://platform.openai.com/account/api-keys."
    )
    return JsonReply(401, error_body(message, type="invalid_request_error", code="invalid_api_key"))
