"""get_weather: the example function with a card, simulated unless WEATHER_LIVE=1."""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse
import urllib.request
from typing import Any, Literal

from lib.registry import tool

_CONDITIONS = ("sunny", "partly cloudy", "cloudy", "light rain", "rain", "thunderstorm", "fog", "snow")
# WMO weather interpretation codes used by Open-Meteo, folded onto the same vocabulary.
_WMO = {
    0: "sunny",
    1: "partly cloudy",
    2: "partly cloudy",
    3: "cloudy",
    45: "fog",
    48: "fog",
    51: "light rain",
    53: "light rain",
    55: "light rain",
    61: "light rain",
    63: "rain",
    65: "rain",
    71: "snow",
    73: "snow",
    75: "snow",
    80: "rain",
    81: "rain",
    82: "rain",
    95: "thunderstorm",
    96: "thunderstorm",
    99: "thunderstorm",
}
_TIMEOUT_S = 8


@tool(card="weather")
def get_weather(location: str, unit: Literal["celsius", "fahrenheit"]) -> dict[str, Any]:
    """Get the current weather for a location.

    Args:
        location: City and country, e.g. "Paris, France".
        unit: Temperature unit to report.
    """
    if not location.strip():
        raise ValueError("location is empty")
    # Live data only on explicit opt-in, so tests and offline demos never touch the network.
    if os.environ.get("WEATHER_LIVE") == "1":
        return _live(location.strip(), unit)
    return _simulated(location.strip(), unit)


def _simulated(location: str, unit: str) -> dict[str, Any]:
    """Return a made-up but stable reading derived from the location's hash."""
    digest = hashlib.sha256(location.lower().encode()).digest()
    celsius = round(-10 + digest[0] / 255 * 45, 1)
    return {
        "location": location,
        "temperature": celsius if unit == "celsius" else round(celsius * 9 / 5 + 32, 1),
        "unit": unit,
        "conditions": _CONDITIONS[digest[1] % len(_CONDITIONS)],
        "humidity_percent": 20 + digest[2] % 76,
        "wind_kph": round(digest[3] / 255 * 40, 1),
        "source": "simulated",
    }


def _get_json(url: str, params: dict[str, Any]) -> Any:
    """GET a JSON document with a timeout."""
    with urllib.request.urlopen(f"{url}?{urllib.parse.urlencode(params)}", timeout=_TIMEOUT_S) as resp:
        return json.load(resp)


def _live(location: str, unit: str) -> dict[str, Any]:
    """Return the current reading from Open-Meteo (no key needed)."""
    # The geocoder matches place names only, so "Paris, France" is searched as "Paris".
    found = _get_json(
        "https://geocoding-api.open-meteo.com/v1/search", {"name": location.split(",")[0].strip(), "count": 1}
    ).get("results")
    if not found:
        raise ValueError(f"no place found for {location!r}")
    place = found[0]
    current = _get_json(
        "https://api.open-meteo.com/v1/forecast",
        {
            "latitude": place["latitude"],
            "longitude": place["longitude"],
            "current": "temperature_2m,relative_humidity_2m,wind_speed_10m,weather_code",
            "temperature_unit": unit,
            "wind_speed_unit": "kmh",
        },
    )["current"]
    return {
        "location": ", ".join(p for p in (place.get("name"), place.get("country")) if p),
        "temperature": current["temperature_2m"],
        "unit": unit,
        "conditions": _WMO.get(current["weather_code"], "unknown"),
        "humidity_percent": current["relative_humidity_2m"],
        "wind_kph": current["wind_speed_10m"],
        "source": "open-meteo.com",
    }
