"""The History page's Conversations tab: the paged list, and rename, close, reopen, delete."""

from __future__ import annotations

from typing import Any

import openai
import pandas as pd
import streamlit as st

from lib.errors import explain
from lib.markup import plain
from lib.settings import Settings
from lib.store import CONVERSATION_STATUSES, HistoryStore
from lib.ui import state
from lib.ui.context import Page
from lib.ui.history_view import GENERATION, PAGE_SIZES, chat_link, pager, status_badge, status_text, styled, table_key

PAGE = "history_conv_page"  # index of the page of conversations shown
STATUS = "history_conv_status"  # the status shown ("all" or one), kept across visits
SIZE = "history_conv_size"
CONFIRM = "history_confirm_delete_conversation"  # id of the conversation waiting for "Yes, delete"
TITLE_CHARS = 512  # the API's limit on a metadata value

CONVERSATION_COLUMNS = {
    "Title": st.column_config.TextColumn(width="large"),
    "Status": st.column_config.TextColumn(),
    "Turns": st.column_config.NumberColumn(format="localized"),
    "Tokens": st.column_config.NumberColumn(format="localized"),
    "Cost": st.column_config.NumberColumn(format="$%.4f"),
    "Last used": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm", timezone="UTC", help="UTC"),
    "Open": st.column_config.LinkColumn(display_text="Open in chat"),
    "ID": st.column_config.TextColumn(),
    "Forked from": st.column_config.LinkColumn(
        display_text=r"\?conversation=(.*)", help="A branch or fork: the conversation it was copied from"
    ),
}


def conversations_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One page of conversations as the table shows them."""
    return pd.DataFrame(
        [
            {
                "Title": row["title"] or "(untitled)",
                "Status": status_text(row["status"]),
                "Turns": row["turns"],
                "Tokens": row["total_tokens"],
                "Cost": row["cost_usd"],
                "Last used": row["last_used_at"],
                "Model": row["model"],
                "Open": chat_link(row["id"]),
                "ID": row["id"],
                "Forked from": chat_link(parent) if (parent := row.get("parent_conversation_id")) else None,
            }
            for row in rows
        ],
        columns=["Title", "Status", "Turns", "Tokens", "Cost", "Last used", "Model", "Open", "ID", "Forked from"],
    )


def _api_error(current: Settings, error: openai.APIError) -> str:
    return explain(error, model=current.model, endpoint=current.endpoint)


def rename(page: Page, conversation_id: str, title: str) -> None:
    """Save the title here and in the API conversation's metadata (other metadata kept)."""
    client, current, store, owner = page.client, page.settings, page.store, page.owner
    title = title.strip()[:TITLE_CHARS]
    if not title or not store.rename_conversation(owner, conversation_id, title):
        return
    try:
        kept = client.conversations.retrieve(conversation_id).metadata  # typed `object` by the SDK
        metadata = dict(kept) if isinstance(kept, dict) else {}
        client.conversations.update(conversation_id, metadata=metadata | {"title": title})
    except openai.NotFoundError:
        state.flash("Renamed here; the conversation is no longer on the API.", "info")
        return
    except openai.APIError as error:
        state.flash(f"Renamed here only: the API refused. {_api_error(current, error)}", "warning")
        return
    state.flash(f"Renamed to “{plain(title)}”.", "success")


def _set_status(store: HistoryStore, owner: str, conversation_id: str, status: str) -> None:
    if store.set_conversation_status(owner, conversation_id, status):
        st.session_state[GENERATION] = st.session_state.get(GENERATION, 0) + 1  # reopening reorders the list
        verb = "Closed: it takes no new turns" if status == "closed" else "Reopened"
        state.flash(f"{verb} ({conversation_id}).", "success")


def delete(page: Page, conversation_id: str) -> None:
    """Delete the conversation on the API, then here with its recorded responses."""
    client, current, store, owner = page.client, page.settings, page.store, page.owner
    st.session_state.pop(CONFIRM, None)
    try:
        client.conversations.delete(conversation_id)
    except openai.NotFoundError:
        pass  # already gone there
    except openai.APIError as error:
        state.flash(f"Not deleted. {_api_error(current, error)}", "error")
        return
    store.delete_conversation(owner, conversation_id)
    st.session_state[GENERATION] = st.session_state.get(GENERATION, 0) + 1
    state.flash(f"Deleted conversation {conversation_id}.", "success")


def _actions(page: Page, row: dict[str, Any]) -> None:
    store, owner = page.store, page.owner
    cid = row["id"]
    with st.container(border=True):
        st.subheader(plain(row["title"] or "(untitled)"))
        turns = f"{row['turns']:,} turn{'' if row['turns'] == 1 else 's'}"
        st.caption(
            f"{status_badge(row['status'])} · `{cid}` · {turns} · {row['total_tokens']:,} tokens · "
            f"${row['cost_usd']:,.4f}"
        )
        with st.form(f"history_rename_{cid}", border=False):
            field, submit = st.columns([5, 1], vertical_alignment="bottom")
            title = field.text_input("Title", value=row["title"] or "", max_chars=TITLE_CHARS)
            submitted = submit.form_submit_button("Rename", icon=":material/edit:", width="stretch")
        if submitted:
            rename(page, cid, title)
            st.rerun()
        row_of_actions = st.container(horizontal=True, vertical_alignment="center")
        row_of_actions.page_link(
            state.CHAT_PAGE, label="Open in chat", icon=":material/chat:", query_params={"conversation": cid}
        )
        if row["status"] == "active":
            row_of_actions.button(
                "Close",
                key="history_conv_close",
                icon=":material/lock:",
                on_click=_set_status,
                args=(store, owner, cid, "closed"),
                help="A closed conversation takes no new turns",
            )
        else:
            row_of_actions.button(
                "Reopen",
                key="history_conv_reopen",
                icon=":material/lock_open:",
                on_click=_set_status,
                args=(store, owner, cid, "active"),
            )
        row_of_actions.button(
            "Delete",
            key="history_conv_delete",
            icon=":material/delete:",
            on_click=st.session_state.__setitem__,
            args=(CONFIRM, cid),
        )
        if st.session_state.get(CONFIRM) == cid:
            st.warning(
                f"Delete conversation `{cid}` on the API and here, with its {row['turns']:,} recorded "
                f"response{'' if row['turns'] == 1 else 's'}? This cannot be undone."
            )
            confirm = st.container(horizontal=True)
            confirm.button(
                "Yes, delete",
                key="history_conv_delete_yes",
                type="primary",
                icon=":material/delete_forever:",
                on_click=delete,
                args=(page, cid),
            )
            confirm.button("Cancel", key="history_conv_delete_no", on_click=st.session_state.pop, args=(CONFIRM, None))


def _keep(name: str, widget: str) -> None:
    st.session_state[name] = st.session_state[widget]
    st.session_state[PAGE] = 0


def show(page: Page) -> None:
    """The owner's conversations, last used first, paged in SQL; actions on the selected one."""
    store, owner = page.store, page.owner
    left, right, _ = st.columns([1, 1, 2])
    statuses = ("all", *CONVERSATION_STATUSES)
    shown = left.selectbox(
        "Status",
        statuses,
        index=statuses.index(st.session_state.get(STATUS, "all")),
        key="history_w_conv_status",
        format_func=str.capitalize,
        on_change=_keep,
        args=(STATUS, "history_w_conv_status"),
    )
    status = None if shown == "all" else shown
    size = right.selectbox(
        "Rows per page",
        PAGE_SIZES,
        index=PAGE_SIZES.index(st.session_state.get(SIZE, 25)),
        key="history_w_conv_size",
        on_change=_keep,
        args=(SIZE, "history_w_conv_size"),
    )
    total = store.count_conversations(owner, status=status)
    offset = pager(PAGE, total, size, "Conversations")
    rows = store.conversations(owner, status=status, limit=size, offset=offset)
    if not rows:
        st.info("No conversations yet." if status is None else f"No {status} conversations.")
        return
    event = st.dataframe(
        styled(conversations_frame(rows)),
        column_config=CONVERSATION_COLUMNS,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=table_key("conversations", status, size, offset, total),
    )
    if event.selection.rows and event.selection.rows[0] < len(rows):
        _actions(page, rows[event.selection.rows[0]])
    else:
        st.caption("Select a conversation to rename, close, reopen or delete it.")
