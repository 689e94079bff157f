"""OpenAI clients built from Settings with nothing taken from os.environ, cached per session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai
from openai import AzureOpenAI, OpenAI

from lib.egress import http_client
from lib.identity import key_fingerprint
from lib.providers import provider_for
from lib.settings import Settings

# Reading a long answer can pause for minutes on reasoning models; connecting should not.
TIMEOUT = openai.Timeout(600.0, connect=10.0)
MAX_RETRIES = 2


def client_key(settings: Settings) -> tuple[object, ...]:
    """What makes two clients interchangeable: endpoint, key fingerprint, identity headers and the guard."""
    return (
        settings.provider,
        settings.endpoint,
        settings.api_version,
        key_fingerprint(settings.api_key),
        settings.organization,
        settings.project,
        settings.visitor_endpoint,
        settings.allowed_base_urls,
    )


def _pin(client: OpenAI, organization: str | None, project: str | None) -> OpenAI:
    """Undo what the SDK read from os.environ on its own: it fills a None organization/project from
    OPENAI_ORG_ID/OPENAI_PROJECT_ID, an admin key from OPENAI_ADMIN_KEY and extra headers from
    OPENAI_CUSTOM_HEADERS, all of them the deployment's and none of them for a visitor's server."""
    client.organization, client.project = organization or None, project or None
    client.admin_api_key = None
    client._custom_headers = {}  # the SDK has no public way to drop OPENAI_CUSTOM_HEADERS
    client._pinned = (organization, project)  # type: ignore[attr-defined]
    return client


class _Pinned:
    """Copies (with_options, as every turn makes) read os.environ again: pin them too."""

    _pinned: tuple[str | None, str | None]

    # Any-typed so that it stands in for each SDK class's own copy(), whose keywords it passes on.
    def copy(self, *args: Any, **kwargs: Any) -> Any:
        """The SDK's copy, with organization, project and headers pinned again."""
        return _pin(super().copy(*args, **kwargs), *self._pinned)  # type: ignore[misc]

    with_options = copy


class StudioOpenAI(_Pinned, OpenAI):
    """OpenAI whose organization, project and headers are only what Settings say."""


class StudioAzureOpenAI(_Pinned, AzureOpenAI):
    """AzureOpenAI likewise."""


# The pinned class for each SDK class a provider names (lib.providers.Connection.sdk).
SDK_CLIENTS: dict[str, Callable[..., OpenAI]] = {"OpenAI": StudioOpenAI, "AzureOpenAI": StudioAzureOpenAI}


def build_client(settings: Settings) -> OpenAI:
    """A client with everything explicit, so nothing is picked up from os.environ.

    The provider says which SDK class and endpoint arguments reach it (lib.providers). A server a
    shared-mode visitor chose is reached through lib.egress's guard (public https only, checked on the
    socket itself, unless the owner's ALLOWED_BASE_URLS says more).
    """
    http = http_client(visitor=settings.visitor_endpoint, allowed_prefixes=settings.allowed_base_urls, timeout=TIMEOUT)
    connection = provider_for(settings.provider).connection(settings)
    return _pin(
        SDK_CLIENTS[connection.sdk](
            api_key=settings.api_key or "none",
            **dict(connection.arguments),
            organization=settings.organization or None,
            project=settings.project or None,
            timeout=TIMEOUT,
            max_retries=MAX_RETRIES,
            http_client=http,
        ),
        settings.organization,
        settings.project,
    )


class ClientCache:
    """Clients keyed by `client_key`; one cache per session, so keys never cross sessions."""

    def __init__(self) -> None:
        self._clients: dict[tuple[object, ...], OpenAI] = {}

    def get(self, settings: Settings) -> OpenAI:
        """The cached client for these settings, built on first use."""
        key = client_key(settings)
        if key not in self._clients:
            self._clients[key] = build_client(settings)
        return self._clients[key]
