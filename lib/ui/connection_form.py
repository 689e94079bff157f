"""Setup's Connection tab: provider, endpoint and key, and a check of them against the API."""

from __future__ import annotations

from typing import Any

import openai
import streamlit as st

from lib.access import owner_key_in_use
from lib.capabilities import probe
from lib.client import build_client
from lib.errors import explain
from lib.providers import PROVIDERS, Provider
from lib.settings import Settings, missing_setting
from lib.ui import state
from lib.urls import mask_url

MODELS = "setup_models"  # models the checked key can see, kept across reruns


def masked(settings: Settings) -> str:
    """Enough of a key to recognise it, never enough to use it; nothing at all of the app owner's."""
    key = settings.api_key
    if owner_key_in_use(settings):
        return "the app's key"
    return f"…{key[-4:]}" if len(key) > 8 else "set"


def _own(current: Settings, name: str) -> str:
    """A setting's value when this session set it, else empty: the deployment's endpoint is never prefilled."""
    return str(getattr(current, name) or "") if current.source_of(name) == "session" else ""


def _endpoint_fields(provider: Provider, current: Settings) -> dict[str, Any]:
    """Editable endpoint fields, prefilled with this session's own values only."""
    lent = current.source_of(current.endpoint_field) not in {"session", "default"}
    hint = f"Leave empty for the app's endpoint, {mask_url(current.endpoint)}." if lent else ""
    name = provider.endpoint_field
    chosen = {
        name: st.text_input(
            provider.endpoint_label,
            value=_own(current, name),
            placeholder=provider.endpoint_example,
            help=hint or provider.endpoint_help,
        ).strip()
    }
    if provider.api_version:
        chosen["api_version"] = st.text_input(
            "API version", value=current.api_version, help=provider.api_version_help
        ).strip()
    if provider.model_note:
        st.caption(provider.model_note)
    return chosen


def connection_form(current: Settings) -> tuple[dict[str, Any], Settings]:
    """The connection settings as edited (the key only when typed), and the settings they make.

    The endpoint goes with the key (lib.settings.resolve): while the app's key is in use its endpoint
    is shown read-only and masked, and only a typed key (or the key-less "compatible" provider)
    opens the endpoint fields. The candidate is resolved like saved settings, never patched, so
    Check key cannot send the app's key anywhere but the app's endpoint.
    """
    kinds = list(PROVIDERS)
    kind = st.radio(
        "Provider",
        kinds,
        index=kinds.index(current.provider),
        format_func=lambda k: PROVIDERS[k].label,
        horizontal=True,
    )
    provider = PROVIDERS[kind]
    chosen: dict[str, Any] = {"provider": kind}
    key_note = f"Current key: {masked(current)} (from {current.source_of('api_key')})." if current.api_key else ""
    api_key = st.text_input(
        provider.key_label, type="password", placeholder="sk-…", help="Kept in this browser session only."
    )
    if key_note:
        st.caption(key_note)
    if api_key:
        chosen["api_key"] = api_key
    apps_key = current.source_of("api_key") not in {"session", "default"}  # secrets, environment, .env, withheld
    if apps_key and not api_key and provider.key_required:
        st.text_input("Endpoint", value=mask_url(current.endpoint), disabled=True, key="setup_apps_endpoint")
        st.caption(
            "The app's own endpoint, used with the app's key. To use another endpoint, type your own key "
            "above: an endpoint you choose goes with a key you bring."
        )
    else:
        chosen |= _endpoint_fields(provider, current)
    candidate = state.settings(chosen)
    if problem := missing_setting(candidate):
        st.caption(problem)
    if st.button("Check key", icon=":material/key:", disabled=bool(missing_setting(candidate))):
        try:
            found = probe(build_client(candidate))
        except openai.APIError as error:
            st.error(explain(error, endpoint=candidate.endpoint))
        else:
            st.session_state[MODELS] = list(found.models or ())
            count = f"{len(found.models)} models available" if found.models is not None else "it answers"
            st.success(f"The key works: {count} at {mask_url(candidate.endpoint)}.")
            for note in found.notes:
                st.info(note, icon=":material/info:")
    return chosen, candidate
