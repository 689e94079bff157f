"""The Tools section of Setup: widgets over ToolSettings, returning the edited value."""

from __future__ import annotations

import dataclasses

import openai
import pandas as pd
import streamlit as st
from openai import OpenAI

from lib import ownership
from lib.errors import explain
from lib.files import list_stores
from lib.markup import plain
from lib.ownership import Owned
from lib.registry import all_tools
from lib.tools import McpServer, ToolSettings

LOCATION_FIELDS = ("country", "city", "region", "timezone")
IMAGE_SIZES = ("auto", "1024x1024", "1024x1536", "1536x1024")
QUALITIES = ("auto", "low", "medium", "high")
SUMMARIES = ("off", "auto", "concise", "detailed")


def _vector_stores(client: OpenAI | None, owned: Owned) -> dict[str, str] | str:
    """id -> name of the session's stores the key can see, or why they could not be listed."""
    if client is None:
        return "Add a key to list your vector stores."
    try:
        return {store.id: store.label for store in list_stores(client, owned)}
    except openai.APIError as error:  # explained, never echoed: the server may be one a visitor chose
        return f"Could not list vector stores: {explain(error)}"


def _web_search(tools: ToolSettings) -> dict:
    on = st.toggle("Web search", value=tools.web_search, help="Let the model search the web and cite sources.")
    location = dict(tools.web_search_location)
    context = tools.web_search_context
    if on:
        with st.expander("Web search options"):
            context = st.selectbox(
                "Search context size",
                ("low", "medium", "high"),
                index=("low", "medium", "high").index(tools.web_search_context),
            )
            columns = st.columns(4)
            for column, name in zip(columns, LOCATION_FIELDS, strict=True):
                location[name] = column.text_input(
                    name.capitalize(),
                    value=location.get(name, ""),
                    placeholder={"country": "GB", "timezone": "Europe/London"}.get(name),
                )
    return {
        "web_search": on,
        "web_search_context": context,
        "web_search_location": tuple((k, v.strip()) for k, v in location.items() if v and v.strip()),
    }


def _file_search(tools: ToolSettings, client: OpenAI | None, owned: Owned) -> dict:
    on = st.toggle("File search", value=tools.file_search, help="Search the vector stores made on the Files page.")
    changes: dict = {"file_search": on}
    if on:
        # Ids from a profile or an earlier session that are someone else's are neither offered nor kept.
        chosen, refused = ownership.split(tools.vector_store_ids, owned)
        if refused:
            st.warning(ownership.refused_note(refused), icon=":material/lock:")
        stores = _vector_stores(client, owned)
        if isinstance(stores, str):
            st.caption(stores)
            stores = {}
        stores = {**{s: s for s in chosen}, **stores}
        changes["vector_store_ids"] = tuple(
            st.multiselect(
                "Vector stores",
                list(stores),
                default=list(chosen),
                format_func=lambda s: stores.get(s, s),
                help="Create stores and upload files on the Files page.",
            )
        )
        changes["file_search_max_results"] = int(
            st.number_input("Max results", min_value=1, max_value=50, value=tools.file_search_max_results)
        )
        changes["file_search_show_results"] = st.checkbox(
            "Show the search results in the chat", value=tools.file_search_show_results
        )
        if not changes["vector_store_ids"]:
            st.warning("File search needs at least one vector store.")
    return changes


def _images(tools: ToolSettings) -> dict:
    on = st.toggle("Image generation", value=tools.image_generation)
    changes: dict = {"image_generation": on}
    if on:
        left, right = st.columns(2)
        changes["image_size"] = left.selectbox("Image size", IMAGE_SIZES, index=IMAGE_SIZES.index(tools.image_size))
        changes["image_quality"] = right.selectbox(
            "Image quality", QUALITIES, index=QUALITIES.index(tools.image_quality)
        )
    return changes


def _mcp(tools: ToolSettings) -> dict:
    st.markdown("**Remote MCP servers**")
    table = pd.DataFrame(
        [
            {
                "label": s.label,
                "server_url": s.url,
                "allowed_tools": ", ".join(s.allowed_tools),
                "require_approval": s.require_approval,
            }
            for s in tools.mcp_servers
        ],
        columns=["label", "server_url", "allowed_tools", "require_approval"],
    )
    edited = st.data_editor(
        table,
        num_rows="dynamic",
        hide_index=True,
        key="setup_mcp",
        column_config={
            "label": st.column_config.TextColumn("Label", required=True),
            "server_url": st.column_config.LinkColumn("Server URL", required=True),
            "allowed_tools": st.column_config.TextColumn("Allowed tools", help="Comma-separated; empty = all"),
            "require_approval": st.column_config.SelectboxColumn(
                "Approval", options=["always", "never"], default="always", required=True
            ),
        },
    )
    old_headers = {s.label: dict(s.headers).get("Authorization", "") for s in tools.mcp_servers}
    servers = []
    for row in edited.dropna(subset=["label", "server_url"]).to_dict("records"):
        label = str(row["label"]).strip()
        auth = st.text_input(
            f"Authorization header for {plain(label)}",
            type="password",
            key=f"setup_mcp_auth_{label}",
            placeholder="Bearer …" if not old_headers.get(label) else "(kept; type to replace)",
        )
        auth = auth or old_headers.get(label, "")
        servers.append(
            McpServer(
                label=label,
                url=str(row["server_url"]).strip(),
                allowed_tools=tuple(t.strip() for t in str(row.get("allowed_tools") or "").split(",") if t.strip()),
                headers=(("Authorization", auth),) if auth else (),
                require_approval=row.get("require_approval") or "always",
            )
        )
    return {"mcp_servers": tuple(servers)}


def _functions(tools: ToolSettings) -> dict:
    st.markdown("**Your Python functions** (from `lib/functions/`)")
    chosen = [
        fn.name
        for fn in all_tools()
        if st.checkbox(f"`{fn.name}`", value=fn.name in tools.functions, help=fn.description, key=f"setup_fn_{fn.name}")
    ]
    return {"functions": tuple(chosen)}


def tools_form(tools: ToolSettings, client: OpenAI | None, *, reasoning: bool, owned: Owned = None) -> ToolSettings:
    """Draw the tool settings and return them as edited; `owned`: the session's stores (lib.ownership)."""
    changes = _web_search(tools)
    changes |= _file_search(tools, client, owned)
    changes["code_interpreter"] = st.toggle(
        "Code interpreter",
        value=tools.code_interpreter,
        help="Runs Python in a sandbox; files it makes can be downloaded.",
    )
    changes |= _images(tools)
    st.divider()
    changes |= _mcp(tools)
    st.divider()
    changes |= _functions(tools)
    st.divider()
    changes["json_schema"] = st.text_area(
        "Structured output: JSON Schema",
        value=tools.json_schema,
        height=160,
        placeholder='{"type": "object", …}',
        help="Leave empty for plain text. Answers then follow this schema (strict mode).",
    )
    if reasoning:
        summary = st.selectbox(
            "Reasoning summaries",
            SUMMARIES,
            index=SUMMARIES.index(tools.reasoning_summary or "off"),
            help="Shown in a collapsed Thinking section above the answer.",
        )
        changes["reasoning_summary"] = None if summary == "off" else summary
    return dataclasses.replace(tools, **changes)
