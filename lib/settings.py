"""Settings: one frozen value resolved from session > st.secrets > environment/.env > defaults."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from lib.tools import ToolSettings

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-5-mini"
REASONING_EFFORTS = ("minimal", "low", "medium", "high")
MODES = ("local", "shared")
# Offered before the key is checked; after a check, the models the key can see replace them.
COMMON_MODELS = ("gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini", "o4-mini", "o3")

MISSING_KEY = "Add your OpenAI API key first: the app needs it to talk to the model."
PROVIDERS = {"openai": "OpenAI", "azure": "Azure OpenAI", "compatible": "OpenAI-compatible server"}
DEFAULT_AZURE_API_VERSION = "preview"

# Setting name -> the environment/secrets variable it is read from.
ENV_NAMES = {
    "provider": "OPENAI_PROVIDER",
    "api_key": "OPENAI_API_KEY",
    "azure_endpoint": "AZURE_OPENAI_ENDPOINT",
    "api_version": "OPENAI_API_VERSION",
    "base_url": "OPENAI_BASE_URL",
    "model": "OPENAI_MODEL",
    "instructions": "OPENAI_INSTRUCTIONS",
    "temperature": "OPENAI_TEMPERATURE",
    "reasoning_effort": "OPENAI_REASONING_EFFORT",
    "store": "OPENAI_STORE",
    "background": "OPENAI_BACKGROUND",
    "mode": "APP_MODE",
    "history_url": "HISTORY_DATABASE_URL",
    "ttl_minutes": "CONVERSATION_TTL_MINUTES",
    "organization": "OPENAI_ORG_ID",
    "project": "OPENAI_PROJECT_ID",
    "allowed_base_urls": "ALLOWED_BASE_URLS",
}
# Where requests go and as whom: always taken from the same layer as the key (see resolve).
ENDPOINT_FIELDS = ("provider", "base_url", "azure_endpoint", "api_version", "organization", "project")
# The deployment's alone: a session can never set these.
DEPLOYMENT_ONLY = ("mode", "allowed_base_urls")
# Set by the app for this session (lib/ui), never from what a session or a profile says.
APP_SET = ("max_output_tokens", "safety_identifier")


@dataclass(frozen=True)
class Settings:
    """Everything a chat turn needs; the key is never shown in repr."""

    api_key: str = field(default="", repr=False)
    provider: str = "openai"  # openai | azure | compatible
    base_url: str = ""
    azure_endpoint: str = ""  # https://<resource>.openai.azure.com
    api_version: str = DEFAULT_AZURE_API_VERSION  # Azure only; "v1" means the /openai/v1 base URL
    model: str = DEFAULT_MODEL
    instructions: str = ""
    temperature: float | None = None
    reasoning_effort: str | None = None
    store: bool = True
    background: bool = False  # run turns as background responses, which survive drops and reloads
    verbosity: str | None = None  # text.verbosity (low | medium | high); None: not sent, the model's default
    service_tier: str | None = None  # auto | default | flex | priority; None: not sent
    max_output_tokens: int | None = None  # set by the budget on the owner's key (MAX_OUTPUT_TOKENS), not by visitors
    mode: str = "local"
    history_url: str = ""
    ttl_minutes: int | None = None  # idle conversations expire after this long; None = never
    organization: str | None = None  # OpenAI-Organization header; only ever the key owner's own
    project: str | None = None  # OpenAI-Project header; likewise
    allowed_base_urls: tuple[str, ...] = ()  # URL prefixes a shared-mode visitor may use beyond public https
    tools: ToolSettings = field(default_factory=ToolSettings)
    # Set by lib.ui.state from the session's identity (shared mode only); never read from a layer or a profile.
    safety_identifier: str = field(default="", repr=False)
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def endpoint(self) -> str:
        """The base URL requests go to."""
        if self.provider == "azure":
            return self.azure_endpoint.rstrip("/") + "/openai" + ("/v1" if self.api_version == "v1" else "")
        return (self.base_url or DEFAULT_BASE_URL).rstrip("/")

    @property
    def endpoint_field(self) -> str:
        """The setting that names the server: the Azure endpoint or the base URL."""
        return "azure_endpoint" if self.provider == "azure" else "base_url"

    @property
    def visitor_endpoint(self) -> bool:
        """A shared deployment talking to a server the visitor chose (not the owner's, not the default)."""
        return self.mode == "shared" and self.source_of(self.endpoint_field) == "session"

    def source_of(self, name: str) -> str:
        """Where a setting came from: session, secrets, environment, .env or default."""
        return self.sources.get(name, "default")

    def with_changes(self, **changes: Any) -> Settings:
        """A copy with some fields changed, remembered as set in this session."""
        sources = dict(self.sources) | {name: "session" for name in changes}
        return replace(self, sources=sources, **changes)


def is_reasoning_model(model: str) -> bool:
    """Reasoning models take `reasoning.effort` and refuse a custom temperature."""
    name = model.lower().rsplit("/", 1)[-1]
    if name.startswith("gpt-5") and "chat" not in name:
        return True
    return name[:2] in {"o1", "o3", "o4"} or name.startswith("gpt-oss")


# Known to think for minutes: their turns run in background mode even when it is off.
LONG_RUNNING_MODELS = ("o3-pro", "o1-pro", "gpt-5-pro", "o3-deep-research", "o4-mini-deep-research")


def runs_long(model: str, effort: str | None) -> bool:
    """True for models and efforts whose answers routinely take minutes."""
    name = model.lower().rsplit("/", 1)[-1]
    return name.startswith(LONG_RUNNING_MODELS) or (effort == "high" and is_reasoning_model(model))


def _coerce(name: str, raw: Any) -> Any:
    """Turn a text value from env/secrets into the field's type; blank means unset."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if name == "temperature":
        return float(raw)
    if name == "ttl_minutes":
        return int(raw) or None
    if name == "allowed_base_urls":
        items = raw if isinstance(raw, (list, tuple)) else str(raw).replace("\n", ",").split(",")
        return tuple(str(item).strip() for item in items if str(item).strip()) or None
    if name in {"store", "background"}:
        return raw if isinstance(raw, bool) else str(raw).strip().lower() not in {"0", "false", "no", "off"}
    value = str(raw).strip()
    if name == "reasoning_effort" and value not in REASONING_EFFORTS:
        raise ValueError(f"OPENAI_REASONING_EFFORT must be one of {', '.join(REASONING_EFFORTS)}, not {value!r}")
    if name == "mode" and value.lower() not in MODES:
        raise ValueError(f"APP_MODE must be local or shared, not {value!r}")
    if name == "provider" and value.lower() not in PROVIDERS:
        raise ValueError(f"OPENAI_PROVIDER must be one of {', '.join(PROVIDERS)}, not {value!r}")
    return value.lower() if name in {"mode", "provider"} else value


def _env_names(name: str, provider: str) -> tuple[str, ...]:
    """The variables a setting is read from; Azure's key has its own name (the SDK's)."""
    if name == "api_key" and provider == "azure":
        return ("AZURE_OPENAI_API_KEY", "OPENAI_API_KEY")
    return (ENV_NAMES[name],)


def missing_setting(settings: Settings) -> str | None:
    """The one setting that stops a chat, named with where to set it and an example; None if all is set."""
    if settings.provider == "azure":
        endpoint = settings.azure_endpoint
        if not endpoint:
            return ("Set the Azure OpenAI endpoint (AZURE_OPENAI_ENDPOINT, or on the Setup page), "
                    "e.g. https://my-resource.openai.azure.com")
        url = urlparse(endpoint)
        local = url.scheme == "http" and url.hostname in {"localhost", "127.0.0.1"}
        if not (url.scheme == "https" or local) or not url.hostname or " " in endpoint:
            return (f"AZURE_OPENAI_ENDPOINT must be an https:// URL such as https://my-resource.openai.azure.com, "
                    f"not {endpoint!r}")
        if not settings.api_key:
            return "Add your Azure OpenAI key (AZURE_OPENAI_API_KEY, or on the Setup page): the chat needs it."
    elif not settings.api_key and settings.provider != "compatible":
        return MISSING_KEY
    if settings.provider == "compatible" and not settings.base_url:
        return "Set the server's base URL (OPENAI_BASE_URL, or on the Setup page), e.g. http://localhost:8000/v1"
    return None


def _deployment_layers(
    layers: tuple[tuple[str, Mapping[str, Any]], ...],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Every setting the deployment (secrets > environment > .env) gives, with where it came from."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name in sorted(ENV_NAMES, key=lambda n: n != "provider"):  # the provider decides where the key is read
        provider = values.get("provider") or ("azure" if any(l.get("AZURE_OPENAI_ENDPOINT") for _, l in layers)
                                              else "openai")
        for label, layer in layers:
            value = next((v for v in (_coerce(name, layer.get(n)) for n in _env_names(name, provider))
                          if v is not None), None)
            if value is not None:
                values[name], sources[name] = value, label
                break
    if "provider" not in values and values.get("azure_endpoint"):
        values["provider"], sources["provider"] = "azure", sources["azure_endpoint"]
    return values, sources


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def resolve(
    session: Mapping[str, Any],
    secrets: Mapping[str, Any],
    environ: Mapping[str, str],
    dotenv: Mapping[str, str | None],
    *,
    on_localhost: bool = True,
) -> Settings:
    """Resolve every setting from the first layer that has it (session uses field names).

    The key and the endpoint (ENDPOINT_FIELDS) travel together, so a key only ever goes where the
    layer that holds it says:
    - The session's layer is used when the session typed a key, or chose the key-less "compatible"
      provider and typed a base URL. Then the key is the session's (possibly none) and every endpoint
      setting is the session's; one it left blank is the provider's default, not the deployment's,
      whose endpoint may be a private gateway that trusts whoever reaches it. Only a deployment with
      no key of its own lends its endpoint (same provider; never its organization or project): it
      was set up for visitors' keys.
    - Otherwise key and endpoint are the deployment's (secrets > environment > .env): endpoint
      settings typed in a session without a key are ignored, and organization/project never leave it.
    Other settings (model, instructions, …) come from the session first. The mode and the
    ALLOWED_BASE_URLS are the deployment's, never a visitor's, and an app reached at any address but
    localhost is shared whatever APP_MODE says.
    """
    deployment, deployment_sources = _deployment_layers((("secrets", secrets), ("environment", environ),
                                                         (".env", dotenv)))
    values, sources = dict(deployment), dict(deployment_sources)
    for name in (f.name for f in fields(Settings)):
        if name in {"sources", "api_key", *ENDPOINT_FIELDS, *DEPLOYMENT_ONLY, *APP_SET} or session.get(name) is None:
            continue
        values[name], sources[name] = session[name], "session"
    own_key = not _blank(session.get("api_key"))
    keyless_server = session.get("provider") == "compatible" and not _blank(session.get("base_url"))
    if own_key or keyless_server:
        provider_chosen = not _blank(session.get("provider"))
        lend = not deployment.get("api_key")  # a key-less deployment's endpoint is there for visitors' keys
        provider = session["provider"] if provider_chosen else deployment.get("provider", "openai") if lend else "openai"
        lend = lend and provider == deployment.get("provider", "openai")
        for name in ("api_key", *ENDPOINT_FIELDS):
            values.pop(name, None)
            sources.pop(name, None)
            if not _blank(session.get(name)):
                values[name], sources[name] = session[name], "session"
            elif lend and name in deployment and name not in {"organization", "project"}:  # the owner's account
                values[name], sources[name] = deployment[name], deployment_sources[name]
        values["provider"] = provider
        sources["provider"] = ("session" if provider_chosen else deployment_sources.get("provider", "default") if lend
                               else "default")
        sources.setdefault("api_key", "session")  # the session's layer, even with no key in it
    if not on_localhost and values.get("mode") != "shared":
        values["mode"], sources["mode"] = "shared", "server address"
    return Settings(**values, sources=sources)


def secrets_dict(get_secrets: Any) -> dict[str, Any]:
    """Top-level st.secrets as a dict; a missing secrets file means no secrets, not a crash."""
    try:
        return {k: v for k, v in get_secrets().items() if not isinstance(v, Mapping)}
    except FileNotFoundError:  # StreamlitSecretNotFoundError subclasses it
        return {}


def save_dotenv(path: Path, settings: Settings) -> None:
    """Write the key and settings to a .env file readable by its owner only."""
    lines = []
    for name in ENV_NAMES:
        value = getattr(settings, name)
        if value in (None, "") or name in {"mode", "history_url", "ttl_minutes", "allowed_base_urls"}:
            continue
        if name in {"azure_endpoint", "api_version"} and settings.provider != "azure":
            continue
        env_name = _env_names(name, settings.provider)[0]
        if isinstance(value, bool):
            value = "true" if value else "false"
        escaped = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        lines.append(f'{env_name}="{escaped}"')
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
