"""Setup's Prompts tab: templates with {{variables}}, a new version per save, diff, restore, import, export."""

from __future__ import annotations

import streamlit as st

from lib.identity import PROMPTS_NOT_KEPT
from lib.markup import code_span, plain
from lib.prompt_templates import INPUT, PromptVersion, diff, parse_import, to_export, variables
from lib.store import StoreError
from lib.store.prompts import PromptTemplates
from lib.ui import state

NEW = "New template…"
SELECT = "prompt_select"  # the template picker's widget key
PICKED = "prompt_picked"  # the template shown in the editor (plain key: survives a page switch)
PICK = "prompt_pick_next"  # the template the picker shows on the next run (a save, a delete)


def prompts_section() -> None:
    """The Prompts tab of Setup."""
    current = state.settings()
    who = state.identity(current)
    store = state.history(current).prompts
    st.caption(
        "Instructions and a first message with `{{variables}}`: the chat asks for their values above the "
        "message box. In the message, `{{input}}` is what you type. Every save is a new version."
    )
    if not who.durable:
        st.info(PROMPTS_NOT_KEPT, icon=":material/person_off:")
        return
    try:
        names = store.names(who.owner)
    except StoreError as error:
        st.error(f"Prompt templates are unavailable: {error}")
        return
    _in_use(current.prompt_template, current.prompt_version)
    options = [NEW, *names]
    # A widget's value may be set only before it is drawn: a save or delete asks for the next run's choice.
    if (pick := st.session_state.pop(PICK, None)) in options:
        st.session_state[SELECT] = pick
    elif st.session_state.get(SELECT) not in options:
        kept = st.session_state.get(PICKED)
        st.session_state[SELECT] = kept if kept in options else NEW
    name = st.session_state[PICKED] = st.selectbox("Template", options, key=SELECT)
    versions = [] if name == NEW else store.versions(who.owner, name)
    _editor(store, who.owner, name, versions[0] if versions else None)
    if versions:
        _versions(store, who.owner, name, versions)
    _import_export(store, who.owner)


def _in_use(name: str, version: int | None) -> None:
    if not name:
        return
    which = f"v{version}" if version else "latest version"
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.caption(f"The chat uses {code_span(name)} ({which}).")
    if right.button("Stop using it", key="prompt_stop", icon=":material/link_off:"):
        state.session_settings().update(prompt_template="", prompt_version=None)
        st.rerun()


def _editor(store: PromptTemplates, owner: str, name: str, latest: PromptVersion | None) -> None:
    suffix = name if latest else "new"
    if latest is None:
        name = st.text_input("Name", key="prompt_new_name", max_chars=200).strip()
    instructions = st.text_area(
        "Instructions",
        value=latest.instructions if latest else "",
        key=f"prompt_instructions_{suffix}",
        height=150,
        placeholder="You are a support agent for {{product}}. Answer in {{language}}.",
    )
    message = st.text_area(
        "User message (optional)",
        value=latest.user_message if latest else "",
        key=f"prompt_message_{suffix}",
        placeholder="Customer question: {{input}}",
        help="Sent around what is typed in the chat: {{input}} marks where it goes; "
        "without it, the typed text follows the message.",
    )
    found = [v for v in variables(instructions, message) if v != INPUT]
    defaults = {}
    if found:
        st.caption("Default values (used when the chat's field is left blank):")
        columns = st.columns(min(3, len(found)))
        for number, variable in enumerate(found):
            old = latest.defaults.get(variable, "") if latest else ""
            defaults[variable] = columns[number % len(columns)].text_input(
                plain(variable), value=old, key=f"prompt_default_{suffix}_{variable}"
            )
    draft = PromptVersion(name, 0, instructions, message, {k: v for k, v in defaults.items() if v})
    if st.button("Save as new version", type="primary", icon=":material/save:", disabled=not name, key="prompt_save"):
        if latest is None and name in store.names(owner):
            st.error(f"A template named {code_span(name)} exists already: pick it above to change it.")
            return
        saved = store.save(owner, draft)
        st.session_state[PICK] = name
        st.toast("Nothing changed." if latest and saved.version == latest.version else f"Saved v{saved.version}.")
        st.rerun()


def _versions(store: PromptTemplates, owner: str, name: str, versions: list[PromptVersion]) -> None:
    numbers = [v.version for v in versions]
    by_number = {v.version: v for v in versions}
    with st.expander(f"Versions ({len(versions)})", icon=":material/history:"):
        st.dataframe(
            [
                {
                    "version": v.version,
                    "saved": v.created_at,
                    "from": v.source or "edit",
                    "instructions": v.instructions[:80],
                }
                for v in versions
            ],
            hide_index=True,
        )
        if len(versions) > 1:
            left, right = st.columns(2)
            old = left.selectbox("Compare", numbers, index=1, format_func=lambda n: f"v{n}", key="prompt_diff_a")
            new = right.selectbox("with", numbers, index=0, format_func=lambda n: f"v{n}", key="prompt_diff_b")
            st.code(diff(by_number[old], by_number[new]) or "The two versions are the same.", language="diff")
        left, middle, right = st.columns(3, vertical_alignment="bottom")
        chosen = left.selectbox("Version", numbers, format_func=lambda n: f"v{n}", key="prompt_version_pick")
        if middle.button(
            "Use in chat",
            icon=":material/chat:",
            key="prompt_use",
            help="The chat then sends this version; saving later versions does not change it.",
        ):
            state.session_settings().update(prompt_template=name, prompt_version=chosen)
            state.flash(f"The chat now uses {code_span(name)} v{chosen}.")
            st.switch_page(state.CHAT_PAGE)
        if right.button(
            "Restore as latest", icon=":material/restore:", key="prompt_restore", disabled=chosen == numbers[0]
        ):
            restored = store.restore(owner, name, chosen)
            st.toast(f"v{chosen} is now v{restored.version}.")
            st.rerun()
        if st.button("Use the latest version in chat", key="prompt_use_latest", icon=":material/update:"):
            state.session_settings().update(prompt_template=name, prompt_version=None)
            state.flash(f"The chat now uses the latest version of {code_span(name)}.")
            st.switch_page(state.CHAT_PAGE)
        if st.toggle("Delete this template", key="prompt_delete_confirm"):
            if st.button(f"Delete all {len(versions)} versions", key="prompt_delete", icon=":material/delete:"):
                store.delete(owner, name)
                st.session_state[PICK] = NEW
                st.rerun()


def _import_export(store: PromptTemplates, owner: str) -> None:
    everything = store.everything(owner)
    if everything:
        st.download_button(
            "Export templates (JSON)",
            to_export(everything),
            "prompts.json",
            "application/json",
            icon=":material/file_download:",
        )
    uploaded = st.file_uploader(
        "Import templates (JSON: this app's export, or OpenAI prompt objects)", type=["json"], key="prompt_import"
    )
    if uploaded is None or not st.button("Import templates", key="prompt_import_go", icon=":material/upload:"):
        return
    try:
        found = parse_import(uploaded.getvalue())
    except ValueError as error:
        st.error(f"{plain(uploaded.name)} was not imported: {plain(str(error))}")
        return
    for version in found:  # in version order, so each becomes the next version of its template here
        store.save(owner, version)
    names = sorted({v.name for v in found})
    state.flash(
        f"Imported {len(found)} version(s) of {len(names)} template(s): " + ", ".join(code_span(n) for n in names)
    )
    st.rerun()
