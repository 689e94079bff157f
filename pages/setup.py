"""Setup: the key, the endpoint, the model, how it answers and the tools it may use."""

from __future__ import annotations

import openai
import streamlit as st

from lib.access import describe_sources, owner_key_in_use
from lib.client import build_client, list_models
from lib.errors import explain
from lib.schema import schema_problem
from lib.settings import COMMON_MODELS, REASONING_EFFORTS, is_reasoning_model, save_dotenv
from lib.ui import gate, state
from lib.ui.profiles_view import profiles_section
from lib.ui.tools_form import tools_form

MODELS = "setup_models"  # models the checked key can see, kept across reruns
MODE_NOTES = {
    "local": "Local: one person on this machine. Setup may save the key to a private .env file.",
    "shared": "Shared: nothing is written to disk. A key typed here stays in this browser session only.",
}

st.title("Setup")
state.show_flash()
current = state.settings()


def masked(settings) -> str:
    """Enough of a key to recognise it, never enough to use it; nothing at all of the app owner's."""
    key = settings.api_key
    if owner_key_in_use(settings):
        return "the app's key"
    return f"…{key[-4:]}" if len(key) > 8 else "set"


connection, model_tab, tools_tab, profiles_tab = st.tabs(["Connection", "Model", "Tools", "Profiles"])
with connection:
    key_note = f"Current key: {masked(current)} (from {current.source_of('api_key')})." if current.api_key else ""
    api_key = st.text_input("OpenAI API key", type="password", placeholder="sk-…",
                            help="Kept in this browser session only. " + key_note)
    base_url = st.text_input("Base URL", value=current.base_url, placeholder="https://api.openai.com/v1",
                             help="Leave empty for OpenAI. Any OpenAI-compatible server with a /v1 Responses API works.")
    if key_note:
        st.caption(key_note)
    with st.expander(f"Mode: {current.mode}. Where each setting comes from", icon=":material/info:"):
        st.caption(MODE_NOTES[current.mode])
        st.table(describe_sources(current, gate.config()))
    candidate = current.with_changes(api_key=api_key or current.api_key, base_url=base_url.strip())
    if st.button("Check key", icon=":material/key:", disabled=not candidate.api_key):
        try:
            st.session_state[MODELS] = list_models(build_client(candidate))
            st.success(f"The key works: {len(st.session_state[MODELS])} models available at {candidate.endpoint}.")
        except openai.APIError as error:
            st.error(explain(error, endpoint=candidate.endpoint))

with model_tab:
    options = sorted(set(st.session_state.get(MODELS, COMMON_MODELS)) | {current.model})
    model = st.selectbox("Model", options, index=options.index(current.model), accept_new_options=True,
                         help="Pick one the key can see (use Check key), or type any model name.")
    instructions = st.text_area("Instructions", value=current.instructions, placeholder="You are a helpful assistant.")
    reasoning = is_reasoning_model(model or "")
    if reasoning:
        efforts = ("default", *REASONING_EFFORTS)
        effort = st.selectbox("Reasoning effort", efforts, index=efforts.index(current.reasoning_effort or "default"))
        temperature = current.temperature
    else:
        effort = current.reasoning_effort or "default"
        custom = st.toggle("Custom temperature", value=current.temperature is not None)
        temperature = st.slider("Temperature", 0.0, 2.0, current.temperature or 1.0, 0.1) if custom else None
    store = st.toggle("Store responses on the server", value=current.store, help="Needed to resume conversations.")

with tools_tab:
    tools = tools_form(current.tools, state.client(candidate) if candidate.api_key else None, reasoning=reasoning)
with profiles_tab:
    profiles_section()

save_to_file = False
if state.can_save_dotenv(current):
    save_to_file = st.checkbox("Also save key and model settings to .env on this machine (readable by you only)",
                               key="setup_save_dotenv")

if st.button("Save", type="primary", icon=":material/save:"):
    if problem := schema_problem(tools.json_schema):
        st.error(f"The structured-output schema was not saved. {problem}")
        st.stop()
    chosen = {
        "base_url": base_url.strip(),
        "model": (model or current.model).strip(),
        "instructions": instructions,
        "temperature": temperature,
        "reasoning_effort": None if effort == "default" else effort,
        "store": store,
        "tools": tools,
    }
    if api_key:
        chosen["api_key"] = api_key
    state.session_settings().update(chosen)
    saved = state.settings()
    if not saved.api_key:
        st.warning("Saved, but there is no API key yet: the chat needs one.")
    else:
        if save_to_file and state.can_save_dotenv(saved):
            save_dotenv(state.dotenv_path(), saved)
            st.toast("Saved to .env")
        state.flash("Settings saved.")
        st.switch_page(state.CHAT_PAGE)
