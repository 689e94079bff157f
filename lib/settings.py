"""Settings: one frozen value resolved from session > st.secrets > environment/.env > defaults."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from lib.providers import DEFAULT_AZURE_API_VERSION, PROVIDERS, Provider, provider_for
from lib.request_options import RequestOptions
from lib.tools import ToolSettings

DEFAULT_MODEL = "gpt-5-mini"
REASONING_EFFORTS = ("minimal", "low", "medium", "high")
MODES = ("local", "shared")
# Offered before the key is checked; after a check, the models the key can see replace them.
COMMON_MODELS = ("gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini", "o4-mini", "o3")

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
    "compact_at_percent": "OPENAI_COMPACT_AT_PERCENT",
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
    provider: str = "openai"  # a kind in lib.providers.PROVIDERS
    base_url: str = ""
    azure_endpoint: str = ""  # https://<resource>.openai.azure.com
    api_version: str = DEFAULT_AZURE_API_VERSION  # Azure only; "v1" means the /openai/v1 base URL
    model: str = DEFAULT_MODEL
    instructions: str = ""
    prompt_template: str = ""  # a saved prompt template (lib/store/prompts.py) whose text replaces the above
    prompt_version: int | None = None  # its version; None = the latest
    temperature: float | None = None
    reasoning_effort: str | None = None
    store: bool = True
    background: bool = False  # run turns as background responses, which survive drops and reloads
    max_output_tokens: int | None = None  # set by the budget on the owner's key (MAX_OUTPUT_TOKENS), not by visitors
    mode: str = "local"
    history_url: str = ""
    ttl_minutes: int | None = None  # idle conversations expire after this long; None = never
    organization: str | None = None  # OpenAI-Organization header; only ever the key owner's own
    project: str | None = None  # OpenAI-Project header; likewise
    allowed_base_urls: tuple[str, ...] = ()  # URL prefixes a shared-mode visitor may use beyond public https
    tools: ToolSettings = field(default_factory=ToolSettings)
    options: RequestOptions = field(default_factory=RequestOptions)  # Setup → Model's request controls
    compact_at_percent: int | None = None  # the server compacts past this share of the model's window; None = never
    # Set by lib.ui.state from the session's identity (shared mode only); never read from a layer or a profile.
    safety_identifier: str = field(default="", repr=False)
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def endpoint(self) -> str:
        """The base URL requests go to."""
        return provider_for(self.provider).endpoint(self)

    @property
    def endpoint_field(self) -> str:
        """The setting that names the server: the Azure endpoint or the base URL."""
        return provider_for(self.provider).endpoint_field

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
    if name == "compact_at_percent":
        percent = int(raw)
        if not 0 <= percent < 100:
            raise ValueError(f"OPENAI_COMPACT_AT_PERCENT must be a whole number from 1 to 99 (0: off), not {raw!r}")
        return percent or None
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
    """The variables a setting is read from; the key's are the provider's (Azure's has the SDK's name)."""
    if name == "api_key":
        return provider_for(provider).key_envs
    return (ENV_NAMES[name],)


def missing_setting(settings: Settings) -> str | None:
    """The one setting that stops a chat, named with where to set it and an example; None if all is set."""
    return provider_for(settings.provider).missing(settings)


def _implied_provider(has: Callable[[Provider], Any]) -> str | None:
    """The provider a deployment means by setting only its endpoint (AZURE_OPENAI_ENDPOINT: Azure)."""
    return next((p.kind for p in PROVIDERS.values() if p.implied_by_endpoint and has(p)), None)


def _deployment_layers(
    layers: tuple[tuple[str, Mapping[str, Any]], ...],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Every setting the deployment (secrets > environment > .env) gives, with where it came from."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name in sorted(ENV_NAMES, key=lambda n: n != "provider"):  # the provider decides where the key is read
        provider = (
            values.get("provider")
            or _implied_provider(lambda p: any(layer.get(p.endpoint_env) for _, layer in layers))
            or "openai"
        )
        for label, layer in layers:
            value = next(
                (v for v in (_coerce(name, layer.get(n)) for n in _env_names(name, provider)) if v is not None), None
            )
            if value is not None:
                values[name], sources[name] = value, label
                break
    implied = _implied_provider(lambda p: values.get(p.endpoint_field))
    if "provider" not in values and implied:
        values["provider"], sources["provider"] = implied, sources[provider_for(implied).endpoint_field]
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
    deployment, deployment_sources = _deployment_layers(
        (("secrets", secrets), ("environment", environ), (".env", dotenv))
    )
    values, sources = dict(deployment), dict(deployment_sources)
    for name in (f.name for f in fields(Settings)):
        if name in {"sources", "api_key", *ENDPOINT_FIELDS, *DEPLOYMENT_ONLY, *APP_SET} or session.get(name) is None:
            continue
        values[name], sources[name] = session[name], "session"
    own_key = not _blank(session.get("api_key"))
    chosen = PROVIDERS.get(session.get("provider") or "")
    keyless_server = bool(chosen and not chosen.key_required and not _blank(session.get(chosen.endpoint_field)))
    if own_key or keyless_server:
        provider_chosen = not _blank(session.get("provider"))
        lend = not deployment.get("api_key")  # a key-less deployment's endpoint is there for visitors' keys
        own_default = deployment.get("provider", "openai") if lend else "openai"
        provider = session["provider"] if provider_chosen else own_default
        lend = lend and provider == deployment.get("provider", "openai")
        for name in ("api_key", *ENDPOINT_FIELDS):
            values.pop(name, None)
            sources.pop(name, None)
            if not _blank(session.get(name)):
                values[name], sources[name] = session[name], "session"
            elif lend and name in deployment and name not in {"organization", "project"}:  # the owner's account
                values[name], sources[name] = deployment[name], deployment_sources[name]
        values["provider"] = provider
        sources["provider"] = (
            "session" if provider_chosen else deployment_sources.get("provider", "default") if lend else "default"
        )
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
    # Another provider's endpoint settings mean nothing for this one.
    others = {f for p in PROVIDERS.values() for f in p.fields} - set(provider_for(settings.provider).fields)
    for name in ENV_NAMES:
        value = getattr(settings, name)
        if value in (None, "") or name in {"mode", "history_url", "ttl_minutes", "allowed_base_urls", *others}:
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
