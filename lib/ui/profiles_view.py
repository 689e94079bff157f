"""Profiles on Setup (save, load, rename, delete, export, import) and opening one by URL."""

from __future__ import annotations

import json

import streamlit as st

from lib.identity import PROFILES_NOT_KEPT, Identity
from lib.markup import escape_markdown, plain
from lib.profile_format import builtin, from_data, keep_headers, name_refusal, to_data, without_endpoint
from lib.store import StoreError
from lib.store.profiles import Profiles
from lib.ui import state
from lib.ui.context import Page


def _find(page: Page, name: str) -> dict | None:
    """A shipped profile of that name, else one of this owner's (a saved one never shadows a shipped one)."""
    if (shipped := builtin().get(name)) is not None:
        return shipped
    return page.store.profiles.get(page.owner, name)


def apply(page: Page, name: str, data: dict) -> None:
    """Make a profile the session's settings (the key stays; MCP headers stay for the very same server)."""
    chosen = from_data(data)
    if (tools := chosen.get("tools")) is not None:
        chosen["tools"] = keep_headers(tools, page.settings.tools)
    state.session_settings().update(chosen)
    st.session_state[state.PROFILE_LOADED] = name


def open_from_url(page: Page) -> None:
    """`?profile=name` opens a demo: that profile's settings, once per session, never its endpoint."""
    name = st.query_params.get("profile")
    if not name or st.session_state.get(state.PROFILE_LOADED) == name:
        return
    data = _find(page, name)
    if data is None:
        st.warning(f"There is no profile named '{plain(name)}' for you.", icon=":material/badge:")
        st.session_state[state.PROFILE_LOADED] = name
        return
    # A link is someone else's choice: it must not decide where this session's key is sent next.
    data, wanted = without_endpoint(data)
    try:
        apply(page, name, data)
    except ValueError as error:
        st.error(f"Profile '{plain(name)}' could not be opened: {plain(error)}")
        return
    if wanted:
        host = wanted.replace("`", "")
        st.info(
            f"Profile '{plain(name)}' also named an endpoint (`{host}`). A profile "
            "opened by a link keeps this app's endpoint; load it on Setup → Profiles to use its own.",
            icon=":material/shield:",
        )


def profiles_section(page: Page) -> None:
    """The Profiles tab of Setup."""
    current, who = page.settings, page.identity
    store, owner, shipped = page.store.profiles, who.owner, builtin()
    try:
        # Rows saved under a shipped name before such names were refused stay hidden behind the original.
        mine = [n for n in store.names(owner) if n not in shipped] if who.durable else []
    except StoreError as error:
        st.error(f"Profiles are unavailable: {error}")
        return
    st.caption(
        "A profile is everything on this page but the key (and MCP headers). Open one by link: "
        "`?profile=<name>` (a link never changes the endpoint)."
    )
    if not who.durable:
        st.info(PROFILES_NOT_KEPT, icon=":material/person_off:")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    name = left.text_input(
        "Save the current settings as", placeholder="demo", key="profile_name", disabled=not who.durable
    )
    if right.button("Save profile", disabled=not (who.durable and name.strip()), icon=":material/bookmark_add:"):
        _save(who, store, name.strip(), to_data(current))
    options = mine + [n for n in shipped if n not in mine]
    if not options:
        return
    picked = st.selectbox("Profiles", options, format_func=lambda n: n + (" (example)" if n not in mine else ""))
    data = store.get(owner, picked) if picked in mine else shipped[picked]
    if data is None:  # deleted in another tab since the list was read
        return
    load, export, remove = st.columns(3)
    if load.button("Load", icon=":material/download_done:", key="profile_load"):
        try:
            apply(page, picked, data)  # picked here by the person, who is told where it points: its endpoint too
        except ValueError as error:  # saved before today's checks: say why, keep the current settings
            st.error(f"Profile '{plain(picked)}' could not be loaded: {plain(str(error))}")
        else:
            wanted = without_endpoint(data)[1]
            where = f" Requests now go to {escape_markdown(wanted)}." if wanted else ""
            state.flash(f"Profile '{plain(picked)}' loaded.{where}")
            st.rerun()
    export.download_button(
        "Export JSON",
        json.dumps({**data, "name": picked}, indent=2),
        f"{picked}.json",
        "application/json",
        icon=":material/file_download:",
    )
    if picked in mine:
        if remove.button("Delete", icon=":material/delete:", key="profile_delete"):
            store.delete(owner, picked)
            st.rerun()
        new_name = st.text_input("Rename to", key="profile_rename").strip()
        if st.button("Rename", disabled=not new_name):
            if refusal := name_refusal(new_name):
                st.error(refusal)
            elif not store.rename(owner, picked, new_name):
                st.error(f"A profile named {new_name!r} exists already.")
    if not who.durable:
        return
    uploaded = st.file_uploader("Import a profile (JSON)", type=["json"], key="profile_import")
    if uploaded is not None and st.button("Import", icon=":material/upload:"):
        try:
            imported = json.loads(uploaded.getvalue())
            from_data(imported)
        except ValueError as error:
            st.error(f"{uploaded.name} was not imported: {error}")
            return
        _save(
            who,
            store,
            str(imported.get("name") or uploaded.name.removesuffix(".json")),
            {k: v for k, v in imported.items() if k != "name"},
        )


def _save(who: Identity, store: Profiles, name: str, data: dict) -> None:
    """Save a profile for a person with an identity, under a name no shipped profile has."""
    if not who.durable:  # the button is off too; this holds if a click arrives anyway
        st.error(PROFILES_NOT_KEPT)
        return
    if refusal := name_refusal(name):
        st.error(refusal)
        return
    store.save(who.owner, name, data)
    st.toast(f"Saved profile {name!r}")
    st.rerun()
