"""The History page's totals and charts: tokens and cost per day by model, and latencies."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from lib.usage_text import dollars


def summary(figures: dict[str, Any]) -> None:
    """Totals of the filtered responses, then tokens and cost per day by model and latencies."""
    totals, latencies = figures["totals"], figures["latencies"]
    cells = st.columns(5)
    cells[0].metric("Responses", f"{totals['responses']:,}")
    cells[1].metric("Input tokens", f"{totals['input_tokens']:,}", help=f"{totals['cached_tokens']:,} cached")
    cells[2].metric("Output tokens", f"{totals['output_tokens']:,}", help=f"{totals['reasoning_tokens']:,} reasoning")
    cells[3].metric("Cost", dollars(totals["cost_usd"]))
    median = sorted(latencies)[len(latencies) // 2] / 1000 if latencies else None
    cells[4].metric(
        "Median latency",
        f"{median:.1f} s" if median is not None else "–",
        help=f"Over the newest {len(latencies):,} responses with a latency",
    )
    if not totals["responses"]:
        return
    usage = pd.DataFrame(figures["daily"])  # one row per day and model: small whatever the table's size
    usage["day"] = pd.to_datetime(usage["day"])
    tokens, cost, latency = st.columns(3)
    tokens.altair_chart(_per_day(usage, "total_tokens", "Tokens per day", ",d"), width="stretch")
    cost.altair_chart(_per_day(usage, "cost_usd", "Cost per day (USD)", "$,.4f"), width="stretch")
    if latencies:
        frame = pd.DataFrame({"seconds": [ms / 1000 for ms in latencies]})
        latency.altair_chart(
            alt.Chart(frame, title="Latency")
            .mark_bar()
            .encode(alt.X("seconds:Q", bin=alt.Bin(maxbins=30), title="seconds"), alt.Y("count()", title="responses"))
            .properties(height=260),
            width="stretch",
        )


def _per_day(usage: pd.DataFrame, field: str, title: str, number: str) -> alt.Chart:
    return (
        alt.Chart(usage, title=title)
        .mark_bar()
        .encode(
            alt.X("yearmonthdate(day):T", title=None, axis=alt.Axis(format="%b %d", tickCount="day", labelAngle=0)),
            alt.Y(f"sum({field}):Q", title=None),
            alt.Color("model:N", legend=alt.Legend(orient="top", title=None, columns=2, labelLimit=160)),
            tooltip=[
                alt.Tooltip("yearmonthdate(day):T", title="Day"),
                "model:N",
                alt.Tooltip(f"sum({field}):Q", title=title, format=number),
            ],
        )
        .properties(height=260)
    )


def good_share(rows: list[dict[str, Any]]) -> None:
    """Share of rated answers rated good, per day and per model (rows: lib.store.feedback daily_share)."""
    if not rows:
        return
    rated = pd.DataFrame(rows)
    rated["day"] = pd.to_datetime(rated["day"])
    per_day = rated.groupby("day", as_index=False)[["rated", "good"]].sum()
    per_model = rated.groupby("model", as_index=False)[["rated", "good"]].sum()
    for frame in (per_day, per_model):
        frame["share"] = frame["good"] / frame["rated"]
    share = alt.Axis(format="%")
    day_chart, model_chart = st.columns(2)
    day_chart.altair_chart(
        alt.Chart(per_day, title="Rated good, per day")
        .mark_line(point=True)
        .encode(
            alt.X("yearmonthdate(day):T", title=None, axis=alt.Axis(format="%b %d", tickCount="day")),
            alt.Y("share:Q", title=None, axis=share, scale=alt.Scale(domain=[0, 1])),
            tooltip=[
                alt.Tooltip("yearmonthdate(day):T", title="Day"),
                alt.Tooltip("share:Q", format=".0%"),
                "good:Q",
                "rated:Q",
            ],
        )
        .properties(height=220),
        width="stretch",
    )
    model_chart.altair_chart(
        alt.Chart(per_model, title="Rated good, per model")
        .mark_bar()
        .encode(
            alt.X("share:Q", title=None, axis=share, scale=alt.Scale(domain=[0, 1])),
            alt.Y("model:N", title=None),
            tooltip=["model:N", alt.Tooltip("share:Q", format=".0%"), "good:Q", "rated:Q"],
        )
        .properties(height=220),
        width="stretch",
    )
