"""Providers: all that differs between OpenAI, Azure OpenAI and a compatible server, one frozen object each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlparse

if TYPE_CHECKING:  # settings imports this module; at run time a Settings is only read, never built here
    from lib.settings import Settings

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_AZURE_API_VERSION = "preview"
MISSING_KEY = "Add your OpenAI API key first: the app needs it to talk to the model."


@dataclass(frozen=True)
class Connection:
    """How one SDK client reaches an endpoint, and how a curl command says the same.

    The SDK class is named, not imported: settings import this module, and the SDK takes a second to
    import (the CLI's --help must not wait for it).
    """

    sdk: str  # the `openai` client class: OpenAI, or AzureOpenAI for its /openai/... paths and api-version
    arguments: tuple[tuple[str, str], ...]  # that class's endpoint arguments, in the order View as code shows them
    key_env: str  # the variable View as code reads the key from
    responses_url: str  # where responses.create posts
    auth_header: str  # the header that carries the key, with `{key}` where it goes


@dataclass(frozen=True)
class Provider:
    """One kind of endpoint: where its key and endpoint are read from, what it needs, how a client reaches it."""

    kind: str  # the value of the `provider` setting (OPENAI_PROVIDER)
    label: str  # its name on Setup
    key_envs: tuple[str, ...]  # the variables its key is read from, first found wins (the first in View as code)
    key_label: str  # the key's field on Setup
    missing_key: str | None  # the sentence when the key is missing; None: it works without one
    endpoint_field: str  # the setting that names its server
    endpoint_env: str  # ... and that setting's variable
    endpoint_label: str  # ... and its field on Setup
    endpoint_name: str  # ... and its name in a sentence
    endpoint_example: str  # an example value, in messages and as the field's placeholder
    endpoint_help: str | None = None  # the field's help on Setup
    endpoint_required: bool = False  # False: an empty endpoint means DEFAULT_BASE_URL
    endpoint_https: bool = False  # the endpoint must be https (or http on this machine)
    implied_by_endpoint: bool = False  # a deployment that sets only endpoint_env means this provider
    api_version: str | None = None  # the default API version, for providers that take one
    api_version_help: str = ""
    model_note: str = ""  # what the model name means here, under the endpoint fields

    @property
    def key_required(self) -> bool:
        """Whether a chat needs a key (a compatible server may take none)."""
        return self.missing_key is not None

    @property
    def fields(self) -> tuple[str, ...]:
        """The endpoint settings of this provider (the API version only where it takes one)."""
        return (self.endpoint_field, "api_version") if self.api_version else (self.endpoint_field,)

    def endpoint(self, settings: Settings) -> str:
        """The base URL requests go to."""
        return (settings.base_url or DEFAULT_BASE_URL).rstrip("/")

    def connection(self, settings: Settings) -> Connection:
        """The SDK client and the URL and header that reach this endpoint."""
        base_url = self.endpoint(settings)
        return Connection(
            "OpenAI",
            (("base_url", base_url),),
            self.key_envs[0],
            f"{base_url}/responses",
            "Authorization: Bearer {key}",
        )

    def missing(self, settings: Settings) -> str | None:
        """The one setting that stops a chat, named with where to set it and an example; None if all is set."""
        endpoint = str(getattr(settings, self.endpoint_field) or "")
        if self.endpoint_required and not endpoint:
            return (
                f"Set the {self.endpoint_name} ({self.endpoint_env}, or on the Setup page), "
                f"e.g. {self.endpoint_example}"
            )
        if self.endpoint_https and endpoint:
            url = urlparse(endpoint)
            local = url.scheme == "http" and url.hostname in {"localhost", "127.0.0.1"}
            if not (url.scheme == "https" or local) or not url.hostname or " " in endpoint:
                return f"{self.endpoint_env} must be an https:// URL such as {self.endpoint_example}, not {endpoint!r}"
        if self.missing_key and not settings.api_key:
            return self.missing_key
        return None


@dataclass(frozen=True)
class AzureProvider(Provider):
    """Azure OpenAI: the SDK's AzureOpenAI client (api-version, api-key header), or its /openai/v1 base URL."""

    def endpoint(self, settings: Settings) -> str:
        """The base URL requests go to: `<resource>/openai`, or `<resource>/openai/v1` for API version v1."""
        return settings.azure_endpoint.rstrip("/") + "/openai" + ("/v1" if settings.api_version == "v1" else "")

    def connection(self, settings: Settings) -> Connection:
        """The OpenAI client on the v1 base URL, else the SDK's AzureOpenAI with its api-version."""
        if settings.api_version == "v1":
            return super().connection(settings)
        endpoint = settings.azure_endpoint.rstrip("/")
        version = settings.api_version or self.api_version or DEFAULT_AZURE_API_VERSION
        return Connection(
            "AzureOpenAI",
            (("azure_endpoint", endpoint), ("api_version", version)),
            self.key_envs[0],
            f"{endpoint}/openai/responses?api-version={version}",
            "api-key: {key}",
        )


OPENAI = Provider(
    kind="openai",
    label="OpenAI",
    key_envs=("OPENAI_API_KEY",),
    key_label="OpenAI API key",
    missing_key=MISSING_KEY,
    endpoint_field="base_url",
    endpoint_env="OPENAI_BASE_URL",
    endpoint_label="Base URL",
    endpoint_name="base URL",
    endpoint_example=DEFAULT_BASE_URL,
    endpoint_help="Leave empty for OpenAI. Any OpenAI-compatible server with a /v1 Responses API works.",
)
AZURE = AzureProvider(
    kind="azure",
    label="Azure OpenAI",
    key_envs=("AZURE_OPENAI_API_KEY", "OPENAI_API_KEY"),  # the SDK's own name first
    key_label="Azure OpenAI key",
    missing_key="Add your Azure OpenAI key (AZURE_OPENAI_API_KEY, or on the Setup page): the chat needs it.",
    endpoint_field="azure_endpoint",
    endpoint_env="AZURE_OPENAI_ENDPOINT",
    endpoint_label="Azure OpenAI endpoint",
    endpoint_name="Azure OpenAI endpoint",
    endpoint_example="https://my-resource.openai.azure.com",
    endpoint_required=True,
    endpoint_https=True,
    implied_by_endpoint=True,
    api_version=DEFAULT_AZURE_API_VERSION,
    api_version_help="`preview` or a dated version for the Azure client; `v1` for the /openai/v1 base URL.",
    model_note="The model is your deployment's name.",
)
COMPATIBLE = Provider(
    kind="compatible",
    label="OpenAI-compatible server",
    key_envs=("OPENAI_API_KEY",),
    key_label="API key (optional)",
    missing_key=None,
    endpoint_field="base_url",
    endpoint_env="OPENAI_BASE_URL",
    endpoint_label="Base URL",
    endpoint_name="server's base URL",
    endpoint_example="http://localhost:8000/v1",
    endpoint_help=OPENAI.endpoint_help,
    endpoint_required=True,
)

# Every provider by kind, in the order Setup offers them.
PROVIDERS: dict[str, Provider] = {p.kind: p for p in (OPENAI, AZURE, COMPATIBLE)}


def provider_for(kind: str) -> Provider:
    """The provider of this kind; an unknown kind (an old profile's) is reached like OpenAI, as it always was."""
    return PROVIDERS.get(kind, OPENAI)
