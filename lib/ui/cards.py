"""Small widgets for function results: a function's `card` names one of these."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from lib.markup import plain


def weather_card(value: dict[str, Any]) -> None:
    """get_weather's card: temperature, conditions, humidity and wind."""
    unit = "°F" if value.get("unit") == "fahrenheit" else "°C"
    with st.container(border=True):
        left, middle, right = st.columns(3)
        left.metric(plain(value.get("location", "")), f"{value.get('temperature')}{unit}")
        middle.metric("Humidity", f"{value.get('humidity_percent')} %")
        right.metric("Wind", f"{value.get('wind_kph')} km/h")
        source = value.get("source", "")
        st.caption(plain(value.get("conditions", "")) + (f" · {source} data" if source else ""))


CARDS: dict[str, Callable[[dict[str, Any]], None]] = {"weather": weather_card}
