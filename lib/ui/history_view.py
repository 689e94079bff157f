"""The History page's Responses tab: filters, totals, charts, the paged table and its exports."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from lib import export
from lib.store import RESPONSE_STATUSES, SORTABLE, HistoryStore, ResponseFilter

# Page-local plain keys (prefixed): they outlive a visit to another page, widget values do not.
PREFS = "history_prefs"  # dict: the applied filters, sort and page size
PAGE = "history_page"  # index of the page of responses shown
PICKED = "history_picked"  # the rows selected in the table (several may be added to a dataset)
GENERATION = "history_generation"  # bumped after a delete: row positions changed, drop the selection
PAGE_SIZES = (25, 50, 100)
LATENCY_SAMPLE = 1000  # the median and histogram: over the newest this many, so the page costs the same at any size
FILTER_DEFAULTS: dict[str, Any] = {
    "dates": (),
    "models": [],
    "statuses": [],
    "tool": None,
    "tag": None,
    "conversation": "",
    "text": "",
    "rating": None,
}
TAGS = {"compare": "Compare page"}  # responses.tag values, and how the filter names them
RATING_LABELS = {"good": "Rated good", "bad": "Rated bad", "unrated": "Unrated"}
VIEW_DEFAULTS: dict[str, Any] = {"sort": "created_at", "descending": True, "size": 25}
SORT_LABELS = {
    "created_at": "Created",
    "model": "Model",
    "status": "Status",
    "conversation_id": "Conversation",
    "input_tokens": "Input tokens",
    "cached_tokens": "Cached tokens",
    "cache_write_tokens": "Cache writes",
    "output_tokens": "Output tokens",
    "reasoning_tokens": "Reasoning tokens",
    "total_tokens": "Total tokens",
    "cost_usd": "Cost",
    "latency_ms": "Latency",
    "ttft_ms": "Time to first token",
}
# Statuses as colored text: a marker any font has, colored per cell through a Styler (badges in captions).
STATUS_TONES = {
    "completed": "green",
    "active": "green",
    "incomplete": "orange",
    "expired": "orange",
    "in_progress": "blue",
    "queued": "blue",
    "failed": "red",
    "cancelled": "gray",
    "closed": "gray",
}
TONE_CSS = {"green": "#1a7f37", "orange": "#b35900", "blue": "#0969da", "red": "#cf222e", "gray": "#6e7781"}


def prefs() -> dict[str, Any]:
    """The applied filters and view options of this session (mutable)."""
    saved = st.session_state.setdefault(PREFS, {})
    for name, default in (FILTER_DEFAULTS | VIEW_DEFAULTS).items():
        saved.setdefault(name, default)
    return saved


def status_text(status: str) -> str:
    """A status with a marker, as the tables show it."""
    return f"● {status}"


def status_badge(status: str) -> str:
    """A status as a colored Markdown badge, for captions."""
    return f":{STATUS_TONES.get(status, 'gray')}-badge[{status}]"


def status_style(text: str) -> str:
    """The CSS of a status cell: its color."""
    return f"color: {TONE_CSS[STATUS_TONES.get(text.removeprefix('● '), 'gray')]}"


def styled(frame: pd.DataFrame) -> Any:
    """The table with its Status column colored (values and column_config formats untouched)."""
    return frame.style.map(status_style, subset=["Status"])


def chat_link(conversation_id: str | None) -> str | None:
    """The chat page's URL that reopens a conversation."""
    return f"/chat?conversation={conversation_id}" if conversation_id else None


def build_filter(owner: str, applied: dict[str, Any]) -> ResponseFilter:
    """The store filter for the applied values; dates are whole UTC days, the end day included."""
    days: tuple[date, ...] = tuple(applied["dates"] or ())
    since = datetime.combine(days[0], time(), UTC) if days else None
    until = datetime.combine(days[-1], time(), UTC) + timedelta(days=1) if days else None
    return ResponseFilter(
        owner=owner,
        since=since,
        until=until,
        models=tuple(applied["models"]),
        statuses=tuple(applied["statuses"]),
        conversation_id=applied["conversation"].strip() or None,
        text=applied["text"].strip() or None,
        tool=applied["tool"] or None,
        tag=applied.get("tag") or None,
        rating=applied.get("rating") or None,
    )


def data_version(store: HistoryStore, owner: str) -> tuple[int, str | None]:
    """Changes when the owner's rows are added or deleted: the rollups' count and one index lookup."""
    everything = ResponseFilter(owner=owner)
    newest = store.responses(everything, limit=1)
    return store.count_responses(everything), newest[0]["id"] if newest else None


# Aggregates read the store's per-day rollups (a text, tool or conversation filter reads the matching rows);
# they are cached per filter and data version, so paging, selecting a row or sorting reruns only the page's
# own query. The TTL covers rows updated in place.
@st.cache_data(ttl=60, max_entries=64, show_spinner=False)
def _choices(_store: HistoryStore, url: str, owner: str, version: tuple) -> tuple[list[str], list[str]]:
    return _store.distinct_models(owner), _store.distinct_tools(owner)


@st.cache_data(ttl=60, max_entries=64, show_spinner=False)
def _aggregates(_store: HistoryStore, url: str, f: ResponseFilter, version: tuple) -> dict[str, Any]:
    return {
        "totals": _store.totals(f),
        "daily": _store.daily_usage(f),
        "latencies": _store.latencies(f, limit=LATENCY_SAMPLE),
    }


def aggregates(store: HistoryStore, f: ResponseFilter, version: tuple) -> dict[str, Any]:
    """Totals, usage per day and model, and latencies of the filtered responses."""
    return _aggregates(store, str(store.engine.url), f, version)


def _widget(name: str) -> str:
    return f"history_w_{name}"


def _apply_filters() -> None:
    prefs().update({name: st.session_state[_widget(name)] for name in FILTER_DEFAULTS})
    st.session_state[PAGE] = 0


def _reset_filters() -> None:
    prefs().update(FILTER_DEFAULTS)
    for name in FILTER_DEFAULTS:  # the widgets come back with the defaults as their values
        st.session_state.pop(_widget(name), None)
    st.session_state[PAGE] = 0


def filters_form(store: HistoryStore, owner: str, version: tuple) -> ResponseFilter:
    """The filters in the sidebar; the table changes when they are applied."""
    applied = prefs()
    # Applied values stay selectable even when their last row is gone, so the form shows what filters.
    known_models, known_tools = _choices(store, str(store.engine.url), owner, version)
    models = sorted({*known_models, *applied["models"]})
    tools = sorted({*known_tools, *filter(None, [applied["tool"]])})
    with st.sidebar.form("history_filters", border=False):
        st.subheader("Filter responses")
        st.date_input("Dates (UTC)", value=applied["dates"], key=_widget("dates"), format="YYYY-MM-DD")
        st.multiselect("Models", models, default=applied["models"], key=_widget("models"), placeholder="Any model")
        st.multiselect(
            "Status", RESPONSE_STATUSES, default=applied["statuses"], key=_widget("statuses"), placeholder="Any status"
        )
        st.selectbox(
            "Tool used",
            tools,
            index=tools.index(applied["tool"]) if applied["tool"] else None,
            key=_widget("tool"),
            placeholder="Any tool or none",
        )
        tags = list(TAGS)
        st.selectbox(
            "Made on",
            tags,
            index=tags.index(applied["tag"]) if applied["tag"] in tags else None,
            format_func=TAGS.__getitem__,
            key=_widget("tag"),
            placeholder="Any page",
        )
        st.text_input(
            "Conversation ID", value=applied["conversation"], key=_widget("conversation"), placeholder="conv_…"
        )
        st.text_input(
            "Text", value=applied["text"], key=_widget("text"), placeholder="in the first words of prompts and answers"
        )
        ratings = list(RATING_LABELS)
        st.selectbox(
            "Rating",
            ratings,
            index=ratings.index(applied["rating"]) if applied["rating"] else None,
            key=_widget("rating"),
            format_func=lambda r: RATING_LABELS[r],
            placeholder="Rated or not",
        )
        apply, reset = st.columns(2)
        apply.form_submit_button("Apply", type="primary", on_click=_apply_filters, width="stretch")
        reset.form_submit_button("Reset", on_click=_reset_filters, width="stretch")
    return build_filter(owner, applied)


def _keep_view(name: str) -> None:
    prefs()[name] = st.session_state[_widget(name)]
    st.session_state[PAGE] = 0


def view_options() -> dict[str, Any]:
    """Sort column, direction and page size (whitelisted: the store refuses other columns)."""
    applied = prefs()
    left, middle, right = st.columns([2, 1, 1])
    sortable = list(SORTABLE)
    left.selectbox(
        "Sort by",
        sortable,
        index=sortable.index(applied["sort"]),
        key=_widget("sort"),
        format_func=lambda column: SORT_LABELS.get(column, column),
        on_change=_keep_view,
        args=("sort",),
    )
    middle.selectbox(
        "Order",
        (True, False),
        index=0 if applied["descending"] else 1,
        key=_widget("descending"),
        format_func=lambda d: "Descending" if d else "Ascending",
        on_change=_keep_view,
        args=("descending",),
    )
    right.selectbox(
        "Rows per page",
        PAGE_SIZES,
        index=PAGE_SIZES.index(applied["size"]),
        key=_widget("size"),
        on_change=_keep_view,
        args=("size",),
    )
    return applied


def _turn_page(key: str, step: int) -> None:
    st.session_state[key] = st.session_state.get(key, 0) + step


def pager(key: str, total: int, size: int, noun: str) -> int:
    """Previous/next over `total` rows; returns the offset of the page shown."""
    last = max(0, (total - 1) // size)
    page = min(max(0, st.session_state.get(key, 0)), last)
    st.session_state[key] = page
    first = page * size
    text, back, forward = st.columns([4, 1, 1], vertical_alignment="center")
    shown = f"{noun} {first + 1:,}–{min(first + size, total):,} of {total:,}" if total else f"No {noun.lower()}"
    text.caption(shown)
    back.button(
        "Previous",
        key=f"{key}_prev",
        icon=":material/chevron_left:",
        disabled=page == 0,
        on_click=_turn_page,
        args=(key, -1),
        width="stretch",
    )
    forward.button(
        "Next",
        key=f"{key}_next",
        icon=":material/chevron_right:",
        disabled=page >= last,
        on_click=_turn_page,
        args=(key, 1),
        width="stretch",
    )
    return first


def responses_frame(rows: list[dict[str, Any]], ratings: dict[str, int] | None = None) -> pd.DataFrame:
    """One page of responses as the table shows them (with their ratings: 1 good, 0 bad)."""
    ratings = ratings or {}
    return pd.DataFrame(
        [
            {
                "Created": row["created_at"],
                "Status": status_text(row["status"]),
                "Model": row["model"],
                "Input": row["input_tokens"],
                "Cached": row["cached_tokens"],
                "Cache writes": row["cache_write_tokens"],
                "Output": row["output_tokens"],
                "Reasoning": row["reasoning_tokens"],
                "Cost": row["cost_usd"],
                "Latency": None if row["latency_ms"] is None else row["latency_ms"] / 1000,
                "Tools": row["tools"],
                "Tag": row.get("tag"),
                "Prompt": row["input_preview"],
                "Answer": row["output_preview"] or row["error"] or "",
                "Rating": {1: "👍", 0: "👎"}.get(ratings.get(row["id"], -1), ""),
                "Conversation": chat_link(row["conversation_id"]),
                "ID": row["id"],
            }
            for row in rows
        ],
        # What was asked and answered first: the counts that follow scroll out of view before they do.
        columns=[
            "Created",
            "Status",
            "Model",
            "Prompt",
            "Answer",
            "Rating",
            "Input",
            "Cached",
            "Cache writes",
            "Output",
            "Reasoning",
            "Cost",
            "Latency",
            "Tools",
            "Tag",
            "Conversation",
            "ID",
        ],
    )


RESPONSE_COLUMNS = {
    "Created": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss", timezone="UTC", help="UTC"),
    "Status": st.column_config.TextColumn(),
    "Input": st.column_config.NumberColumn(format="localized", help="Input tokens (cached included)"),
    "Cached": st.column_config.NumberColumn(
        format="localized", help="Input tokens read from the prompt cache (billed cheaper)"
    ),
    "Cache writes": st.column_config.NumberColumn(
        format="localized", help="Input tokens written to the prompt cache (billed higher on models that charge for it)"
    ),
    "Output": st.column_config.NumberColumn(format="localized", help="Output tokens (reasoning included)"),
    "Reasoning": st.column_config.NumberColumn(format="localized"),
    "Cost": st.column_config.NumberColumn(format="$%.4f"),
    "Latency": st.column_config.NumberColumn(format="%.2f s"),
    "Tools": st.column_config.ListColumn(),
    "Tag": st.column_config.TextColumn(help="compare: asked on the Compare page"),
    "Prompt": st.column_config.TextColumn(width="medium"),
    "Answer": st.column_config.TextColumn(width="medium"),
    "Conversation": st.column_config.LinkColumn(display_text=r"conversation=(.*)$", help="Open in chat"),
    "ID": st.column_config.TextColumn(),
}


def table_key(*parts: Any) -> str:
    """A widget key that changes with what the table shows, so a selection never points at another row."""
    parts += (st.session_state.get(GENERATION, 0),)
    return "history_table_" + hashlib.sha256(repr(parts).encode()).hexdigest()[:12]


def responses_table(store: HistoryStore, f: ResponseFilter, total: int) -> dict[str, Any] | None:
    """The sorted, paged table of the `total` filtered responses; the selected row, if any."""
    view = view_options()
    offset = pager(PAGE, total, view["size"], "Responses")
    rows = store.responses(f, limit=view["size"], offset=offset, order_by=view["sort"], descending=view["descending"])
    if not rows:
        st.info(
            "No responses match these filters."
            if total or f != ResponseFilter(owner=f.owner)
            else "Nothing recorded yet: chat first, every answer lands here."
        )
        return None
    ratings = store.feedback.ratings(f.owner, [r["id"] for r in rows])
    event = st.dataframe(
        styled(responses_frame(rows, ratings)),
        column_config=RESPONSE_COLUMNS,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="multi-row",
        key=table_key(f, view, offset, total),
    )
    picked = [rows[n] for n in event.selection.rows if n < len(rows)]
    st.session_state[PICKED] = picked
    return picked[0] if len(picked) == 1 else None


def export_buttons(store: HistoryStore, f: ResponseFilter) -> None:
    """CSV and JSON of every filtered row, produced from the database only when clicked."""
    view = prefs()
    order = {"order_by": view["sort"], "descending": view["descending"]}
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")

    def as_csv() -> bytes:
        return export.as_bytes(export.csv_chunks(store.iter_responses(f, **order)))

    def as_json() -> bytes:
        return export.as_bytes(export.json_chunks(store.iter_responses(f, **order)))

    buttons = st.container(horizontal=True)
    buttons.download_button(
        "Export CSV",
        as_csv,
        file_name=f"responses-{stamp}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        key="history_export_csv",
    )
    buttons.download_button(
        "Export JSON",
        as_json,
        file_name=f"responses-{stamp}.json",
        mime="application/json",
        icon=":material/download:",
        on_click="ignore",
        key="history_export_json",
    )
