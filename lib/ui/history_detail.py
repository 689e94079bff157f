"""One recorded response in full: fetched from the API when it is stored there, drawn like the chat."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import openai
import streamlit as st
from openai import OpenAI

from lib.conversations import turns_from_items
from lib.errors import explain
from lib.markup import code_span
from lib.settings import Settings
from lib.stream import Turn, Usage, as_data
from lib.ui import feedback, state
from lib.ui.context import Page
from lib.ui.history_view import GENERATION, status_badge
from lib.ui.text import markdown
from lib.ui.transcript import render_item, render_user
from lib.usage_text import usage_line

DETAIL = "history_detail"  # Fetched: the last response opened, so reruns do not fetch it again
CONFIRM = "history_confirm_delete"  # id of the response waiting for "Yes, delete"
INPUT_ITEMS = 100  # input items shown; a long chain's history belongs to the chat


@dataclass
class Fetched:
    """What the API has of one response: None when it does not have it (404)."""

    id: str
    response: dict[str, Any] | None = None
    inputs: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  # why it could not be fetched (other than 404)

    @property
    def on_api(self) -> bool | None:
        """True if stored on the API, False if not, None if unknown (the fetch failed)."""
        return None if self.error else self.response is not None


def fetch(client: OpenAI, current: Settings, response_id: str) -> Fetched:
    """The response and its input items from the API (retrieve, input_items.list)."""
    try:
        response = client.responses.retrieve(response_id)
        page = client.responses.input_items.list(response_id, order="asc", limit=INPUT_ITEMS)
    except openai.NotFoundError:
        return Fetched(response_id)
    except openai.APIError as error:
        return Fetched(response_id, error=explain(error, model=current.model, endpoint=current.endpoint))
    inputs = [as_data(item) for item in page.data]
    return Fetched(response_id, as_data(response), inputs)


def fetched(client: OpenAI, current: Settings, response_id: str) -> Fetched:
    """The fetched response, from this session's last fetch when it is the same one."""
    kept = st.session_state.get(DETAIL)
    if not isinstance(kept, Fetched) or kept.id != response_id:
        kept = st.session_state[DETAIL] = fetch(client, current, response_id)
    return kept


def turns_of(detail: Fetched) -> list[Turn]:
    """The response's input and output as turns, as the chat would have drawn them."""
    response = detail.response or {}
    turns = turns_from_items(detail.inputs + list(response.get("output") or []))
    structured = ((response.get("text") or {}).get("format") or {}).get("type") == "json_schema"
    for turn in turns:
        turn.structured = structured
        turn.response_id = detail.id
    return turns


def _render_output(row: dict[str, Any], detail: Fetched) -> None:
    if detail.response is None:
        # Only the first words were recorded locally: show them, as they are all there is.
        render_user(row["input_preview"] or "…")
        with st.chat_message("assistant"):
            st.markdown(markdown(row["output_preview"]) or "*(no text)*")
    for turn in turns_of(detail) if detail.response is not None else []:
        if turn.prompt:
            render_user(turn.prompt)
        if turn.items:
            with st.chat_message("assistant"):
                for item in turn.items:
                    render_item(item, turn, ended=True)  # a stored response runs no more
    if row["error"]:
        st.warning(row["error"], icon=":material/warning:")
    usage = Usage(
        input_tokens=row["input_tokens"],
        cached_tokens=row["cached_tokens"],
        output_tokens=row["output_tokens"],
        reasoning_tokens=row["reasoning_tokens"],
    )
    st.caption(usage_line(usage, row["cost_usd"], row["latency_ms"], row["ttft_ms"]))


def _delete(page: Page, row: dict[str, Any], on_api: bool | None) -> None:
    client, current, store, owner = page.client, page.settings, page.store, page.owner
    st.session_state.pop(CONFIRM, None)
    if on_api is not False:
        try:
            client.responses.delete(row["id"])
        except openai.NotFoundError:
            pass  # not (or no longer) on the API: the local row is all there is to delete
        except openai.APIError as error:
            state.flash(f"Not deleted. {explain(error, model=current.model, endpoint=current.endpoint)}", "error")
            return
    store.delete_response(owner, row["id"])
    st.session_state.pop(DETAIL, None)
    st.session_state[GENERATION] = st.session_state.get(GENERATION, 0) + 1
    state.flash(f"Deleted response {row['id']}" + (" here and on the API." if on_api is not False else "."), "success")


def actions(page: Page, row: dict[str, Any], detail: Fetched) -> None:
    """Open the conversation in the chat; delete the response (after a confirm step)."""
    chat_params = {"conversation": row["conversation_id"]} if row["conversation_id"] else {"response": row["id"]}
    row_of_actions = st.container(horizontal=True, vertical_alignment="center")
    row_of_actions.page_link(
        state.CHAT_PAGE,
        label="Open conversation in chat",
        icon=":material/chat:",
        query_params=chat_params,
        disabled=not row["conversation_id"] and detail.on_api is False,
    )
    row_of_actions.button(
        "Delete",
        key="history_delete",
        icon=":material/delete:",
        type="secondary",
        on_click=st.session_state.__setitem__,
        args=(CONFIRM, row["id"]),
    )
    if st.session_state.get(CONFIRM) != row["id"]:
        return
    where = {True: " and from the API", False: "", None: " and from the API if it is stored there"}[detail.on_api]
    st.warning(f"Delete response `{row['id']}` from this history{where}? This cannot be undone.")
    confirm = st.container(horizontal=True)
    confirm.button(
        "Yes, delete",
        key="history_delete_yes",
        type="primary",
        icon=":material/delete_forever:",
        on_click=_delete,
        args=(page, row, detail.on_api),
    )
    confirm.button("Cancel", key="history_delete_no", on_click=st.session_state.pop, args=(CONFIRM, None))


def show(page: Page, row: dict[str, Any]) -> None:
    """The selected response: its output as the chat draws it, usage, actions and raw JSON."""
    detail = fetched(page.client, page.settings, row["id"])
    with st.container(border=True):
        st.subheader(f"Response `{row['id']}`")
        when = row["created_at"].strftime("%Y-%m-%d %H:%M:%S UTC")
        st.caption(
            f"{status_badge(row['status'])} · {code_span(row['model'])} · {when}"
            + (f" · conversation `{row['conversation_id']}`" if row["conversation_id"] else "")
        )
        if detail.error:
            st.warning(f"Could not fetch it from the API: {detail.error} Showing the local record.")
        elif detail.response is None:
            st.info(
                "This response is not stored on the API (sent with store=false, deleted there, or expired): "
                "showing the local record only.",
                icon=":material/cloud_off:",
            )
        _render_output(row, detail)
        feedback.rate(page.settings, row["id"], where="history")
        actions(page, row, detail)
        with st.expander("Raw JSON", icon=":material/data_object:"):
            if detail.response is not None:
                st.caption("The response from the API")
                st.json(detail.response, expanded=False)
            st.caption("The local record")
            st.json({k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}, expanded=False)
