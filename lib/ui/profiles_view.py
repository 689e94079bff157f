"""Profiles on Setup (save, load, rename, delete, export, import) and opening one by URL."""

from __future__ import annotations

import json

import streamlit as st

from lib.profiles import builtin, from_data, to_data
from lib.store import StoreError
from lib.ui import state

LOADED = "profile_loaded"  # the profile named in the URL that this session has applied


def _find(name: str) -> dict | None:
    """A profile of this owner, else a shipped one."""
    current = state.settings()
    return state.history(current).profiles.get(state.owner(current), name) or builtin().get(name)


def apply(name: str, data: dict) -> None:
    """Make a profile the session's settings (the key and MCP headers stay as they are)."""
    chosen = from_data(data)
    tools = chosen.get("tools")
    if tools is not None:  # keep the secrets typed in this session for servers of the same label
        headers = {s.label: s.headers for s in state.settings().tools.mcp_servers}
        servers = tuple(s.__class__(**{**s.__dict__, "headers": headers.get(s.label, ())}) for s in tools.mcp_servers)
        chosen["tools"] = tools.__class__(**{**tools.__dict__, "mcp_servers": servers})
    state.session_settings().update(chosen)
    st.session_state[LOADED] = name


def open_from_url() -> None:
    """`?profile=name` opens a demo: that profile's settings, once per session."""
    name = st.query_params.get("profile")
    if not name or st.session_state.get(LOADED) == name:
        return
    data = _find(name)
    if data is None:
        st.warning(f"There is no profile named {name!r} for you.", icon=":material/badge:")
        st.session_state[LOADED] = name
        return
    try:
        apply(name, data)
    except ValueError as error:
        st.error(f"Profile {name!r} could not be opened: {error}")


def profiles_section() -> None:
    """The Profiles tab of Setup."""
    current = state.settings()
    store, owner = state.history(current).profiles, state.owner(current)
    try:
        mine = store.names(owner)
    except StoreError as error:
        st.error(f"Profiles are unavailable: {error}")
        return
    shipped = builtin()
    st.caption("A profile is everything on this page but the key (and MCP headers). Open one by link: "
               "`?profile=<name>`.")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    name = left.text_input("Save the current settings as", placeholder="demo", key="profile_name")
    if right.button("Save profile", disabled=not name.strip(), icon=":material/bookmark_add:"):
        store.save(owner, name.strip(), to_data(current))
        st.toast(f"Saved profile {name.strip()!r}")
        st.rerun()
    options = mine + [n for n in shipped if n not in mine]
    if not options:
        return
    picked = st.selectbox("Profiles", options, format_func=lambda n: n + (" (example)" if n not in mine else ""))
    data = store.get(owner, picked) if picked in mine else shipped[picked]
    load, export, remove = st.columns(3)
    if load.button("Load", icon=":material/download_done:", key="profile_load"):
        try:
            apply(picked, data)
        except ValueError as error:  # saved before today's checks: say why, keep the current settings
            st.error(f"Profile {picked!r} could not be loaded: {error}")
        else:
            state.flash(f"Profile {picked!r} loaded.")
            st.rerun()
    export.download_button("Export JSON", json.dumps({**data, "name": picked}, indent=2), f"{picked}.json",
                           "application/json", icon=":material/file_download:")
    if picked in mine:
        if remove.button("Delete", icon=":material/delete:", key="profile_delete"):
            store.delete(owner, picked)
            st.rerun()
        new_name = st.text_input("Rename to", key="profile_rename")
        if st.button("Rename", disabled=not new_name.strip()) and not store.rename(owner, picked, new_name.strip()):
            st.error(f"A profile named {new_name.strip()!r} exists already.")
    uploaded = st.file_uploader("Import a profile (JSON)", type=["json"], key="profile_import")
    if uploaded is not None and st.button("Import", icon=":material/upload:"):
        try:
            imported = json.loads(uploaded.getvalue())
            from_data(imported)
            store.save(owner, str(imported.get("name") or uploaded.name.removesuffix(".json")),
                       {k: v for k, v in imported.items() if k != "name"})
            st.rerun()
        except ValueError as error:
            st.error(f"{uploaded.name} was not imported: {error}")
