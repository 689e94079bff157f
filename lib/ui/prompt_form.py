"""The chat's prompt template: its variables above the message box, rendered into instructions and message."""

from __future__ import annotations

import copy
import dataclasses

import streamlit as st
from streamlit.typing import ChatInputValue

from lib.markup import code_span, plain
from lib.prompt_templates import MissingVariables, PromptVersion, render, user_text, values_for
from lib.ui import state
from lib.ui.context import Page
from lib.ui.transcript import CONTINUE_PROMPT

VALUES = "prompt_values"  # {template name: {variable: value}} typed in this session; outlives the page's widgets


def chosen(page: Page) -> PromptVersion | None:
    """The template version the settings point at, from this owner's templates; None when there is none."""
    current = page.settings
    if not current.prompt_template:
        return None
    found = page.store.prompts.get(page.owner, current.prompt_template, current.prompt_version)
    if found is None:
        wanted = current.prompt_template + (f" v{current.prompt_version}" if current.prompt_version else "")
        st.warning(
            f"The prompt template {code_span(wanted)} is not among your templates: the instructions from "
            "Setup apply. Pick another on Setup → Prompts."
        )
    return found


def apply(page: Page) -> tuple[Page, PromptVersion | None]:
    """Draw the template's variables; the page with its instructions rendered (as far as filled in)."""
    template = chosen(page)
    if template is None:
        return page, None
    typed = _form(template)
    try:
        values = values_for(template, typed)
    except MissingVariables:
        return page, template  # nothing is sent until they are filled in: see fill()
    if not template.instructions.strip():
        return page, template
    rendered = dataclasses.replace(page.settings, instructions=render(template.instructions, values))
    return dataclasses.replace(page, settings=rendered), template


def fill(template: PromptVersion | None, submitted: str | ChatInputValue) -> str | ChatInputValue:
    """The submitted chat input with the template's user message around it; if a variable is blank, a rerun
    that says so, with the message back in the input."""
    if template is None or submitted == CONTINUE_PROMPT:  # "Continue" under a cut answer is not a new message
        return submitted
    typed = (submitted if isinstance(submitted, str) else submitted.text) or ""
    try:
        text = user_text(template, values_for(template, _values(template)), typed)
    except MissingVariables as missing:  # said on the next run, which puts the message back into the input
        state.flash(str(missing))
        st.session_state[state.RESTORE_PROMPT] = typed
        st.rerun()
    if isinstance(submitted, str):
        return text
    filled = copy.copy(submitted)  # st.chat_input's ChatInputValue, its files kept
    filled["text"] = text
    return filled


def _values(template: PromptVersion) -> dict[str, str]:
    return st.session_state.setdefault(VALUES, {}).setdefault(template.name, {})


def _form(template: PromptVersion) -> dict[str, str]:
    values = _values(template)
    if not template.variables:
        return values
    label = f"Template {plain(template.name)} v{template.version}"
    with st.expander(
        label,
        expanded=not all(values.get(n) or template.defaults.get(n) for n in template.variables),
        icon=":material/data_object:",
    ):
        columns = st.columns(min(3, len(template.variables)))
        for number, name in enumerate(template.variables):
            values[name] = columns[number % len(columns)].text_input(
                plain(name),
                value=values.get(name, ""),
                placeholder=template.defaults.get(name) or "required",
                key=f"prompt_var_{template.name}_{name}",
            )
    return values
