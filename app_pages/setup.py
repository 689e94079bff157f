"""Setup: the key, the endpoint, the model, how it answers and the tools it may use."""

from __future__ import annotations

import streamlit as st

from lib.access import describe_sources
from lib.markup import code_span
from lib.request_options import tool_key
from lib.settings import COMMON_MODELS, REASONING_EFFORTS, is_reasoning_model, missing_setting, save_dotenv
from lib.strict_schema import schema_problem
from lib.tools import tools_for
from lib.ui import budget, context, context_view, gate, state, store_notice, store_owners
from lib.ui.connection_form import MODELS, connection_form
from lib.ui.profiles_view import profiles_section
from lib.ui.prompts_view import prompts_section
from lib.ui.request_form import request_form
from lib.ui.tools_form import tools_form

MODE_NOTES = {
    "local": "Local: one person on this machine. Setup may save the key to a private .env file.",
    "shared": "Shared: nothing is written to disk. A key typed here stays in this browser session only.",
}

st.title("Setup")
state.show_flash()
page = context.page()
current = page.settings

connection, model_tab, tools_tab, prompts_tab, profiles_tab = st.tabs(
    ["Connection", "Model", "Tools", "Prompts", "Profiles"]
)
with connection:
    chosen_connection, candidate = connection_form(current)
    with st.expander(f"Mode: {current.mode}. Where each setting comes from", icon=":material/info:"):
        st.caption(MODE_NOTES[current.mode])
        st.table(describe_sources(current, gate.config()) + budget.source_rows())

with model_tab:
    options = sorted(set(st.session_state.get(MODELS, COMMON_MODELS)) | {current.model})
    allowed = budget.model_help(current)  # on the app's key: which models the owner allows
    model = st.selectbox(
        "Model",
        options,
        index=options.index(current.model),
        accept_new_options=True,
        help=allowed or "Pick one the key can see (use Check key), or type any model name.",
    )
    if allowed:
        st.caption(allowed)
    instructions = st.text_area("Instructions", value=current.instructions, placeholder="You are a helpful assistant.")
    if current.prompt_template:
        st.caption(
            f"The chat uses the prompt template {code_span(current.prompt_template)}: its instructions "
            "replace these (Setup → Prompts)."
        )
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
    background = st.toggle(
        "Background mode",
        value=current.background,
        disabled=not store,
        help="Answers are written on the server even if the connection drops or the page "
        "reloads; the chat picks them up again. On anyway for models that think for minutes.",
    )
    compact_at = context_view.threshold_input(current, model or current.model)

with tools_tab:
    tools = tools_form(
        current.tools,
        None if missing_setting(candidate) else state.client(candidate),
        reasoning=reasoning,
        owned=store_owners.owned_ids(candidate),
    )
with prompts_tab:
    prompts_section()
with model_tab:  # after the tools, whose names the tool choice offers
    tool_keys = [tool_key(t) for t in tools_for(tools)]
    controls = request_form(
        current.options, tool_keys, cap=budget.config().max_output_tokens if budget.applies(current) else None
    )
with profiles_tab:
    store_notice.warn_if_history_is_ephemeral(current)
    profiles_section(page)

save_to_file = False
if state.can_save_dotenv(current):
    save_to_file = st.checkbox(
        "Also save key and model settings to .env on this machine (readable by you only)", key="setup_save_dotenv"
    )

if st.button("Save", type="primary", icon=":material/save:"):
    if problem := schema_problem(tools.json_schema):
        st.error(f"The structured-output schema was not saved. {problem}")
        st.stop()
    if problem := controls.problem(tool_keys):
        st.error(f"Nothing was saved. {problem}")
        st.stop()
    chosen = {
        **chosen_connection,
        "model": (model or current.model).strip(),
        "instructions": instructions,
        "temperature": temperature,
        "reasoning_effort": None if effort == "default" else effort,
        "store": store,
        "background": background,
        "compact_at_percent": compact_at,
        "tools": tools,
        "options": controls,
    }
    state.session_settings().update(chosen)
    saved = context.page().settings  # resolved again: the session's choices just changed
    if problem := missing_setting(saved):
        st.warning(f"Saved, but the chat cannot start yet. {problem}")
    else:
        if save_to_file and state.can_save_dotenv(saved):
            save_dotenv(state.dotenv_path(), saved)
            st.toast("Saved to .env")
        state.flash("Settings saved.")
        st.switch_page(state.CHAT_PAGE)
