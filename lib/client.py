"""OpenAI clients built from Settings, and the checks made with them."""

from __future__ import annotations

import hashlib

import openai
from openai import AzureOpenAI, OpenAI

from lib.settings import Settings

# Reading a long answer can pause for minutes on reasoning models; connecting should not.
TIMEOUT = openai.Timeout(600.0, connect=10.0)
MAX_RETRIES = 2


def key_hash(api_key: str) -> str:
    """A short, stable fingerprint of a key: safe to log, cache on and compare."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


def client_key(settings: Settings) -> tuple[str, str, str, str]:
    """What makes two clients interchangeable: provider, endpoint, API version and the key's fingerprint."""
    return settings.provider, settings.endpoint, settings.api_version, key_hash(settings.api_key)


def build_client(settings: Settings) -> OpenAI:
    """A client with everything explicit, so nothing is picked up from os.environ."""
    if settings.provider == "azure" and settings.api_version != "v1":
        # The SDK's Azure client: /openai/... paths, `api-version` query and `api-key` header.
        return AzureOpenAI(
            api_key=settings.api_key or "none",
            azure_endpoint=settings.azure_endpoint.rstrip("/"),
            api_version=settings.api_version,
            timeout=TIMEOUT,
            max_retries=MAX_RETRIES,
        )
    return OpenAI(
        api_key=settings.api_key or "none",
        base_url=settings.endpoint,
        timeout=TIMEOUT,
        max_retries=MAX_RETRIES,
    )


class ClientCache:
    """Clients keyed by (endpoint, key hash); hold one per session so keys never cross sessions."""

    def __init__(self) -> None:
        self._clients: dict[tuple[str, str], OpenAI] = {}

    def get(self, settings: Settings) -> OpenAI:
        """The cached client for these settings, built on first use."""
        key = client_key(settings)
        if key not in self._clients:
            self._clients[key] = build_client(settings)
        return self._clients[key]
