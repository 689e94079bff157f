"""Function registry: strict schemas from signatures, call running, built-in functions."""

from __future__ import annotations

import json
import threading
import time
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict  # pydantic needs this TypedDict on Python < 3.12

from lib.functions import weather
from lib.registry import FunctionTool, all_tools, build_tool, registry, run_call, run_calls, schema_for, tool


class Point(BaseModel):
    """A point on the map."""

    lat: float
    lon: float
    label: str | None = None


class Window(TypedDict):
    start: str
    end: str


def search_places(
    query: Annotated[str, "What to look for"],
    near: Point,
    stops: list[Point],
    window: Window | None = None,
    limit: int | None = None,
    sort: Literal["distance", "rating"] = "distance",
) -> list[str]:
    """Find places near a point.

    Searches the made-up index; this second paragraph is not part of the description.

    Args:
        query: Ignored, the Annotated text wins.
        near: Centre of the search.
        limit (int): Maximum number of places,
            none for the default.
        sort: Order of the results.

    Returns:
        Place names.
    """
    return [query] * (limit or 1)


def divide(a: float, b: float) -> float:
    """Divide a by b."""
    return a / b


def slow(label: str, seconds: float) -> str:
    """Sleep, then echo the label."""
    time.sleep(seconds)
    return label


def _tools(*funcs: object) -> dict[str, FunctionTool]:
    built = [build_tool(f) for f in funcs]  # type: ignore[arg-type]
    return {t.name: t for t in built}


def test_get_weather_schema_is_exactly_the_strict_tool() -> None:
    assert schema_for(["get_weather"]) == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Get the current weather for a location.",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {"type": "string", "description": 'City and country, e.g. "Paris, France".'},
                    "unit": {
                        "type": "string",
                        "enum": ["celsius", "fahrenheit"],
                        "description": "Temperature unit to report.",
                    },
                },
                "required": ["location", "unit"],
                "additionalProperties": False,
            },
            "strict": True,
        }
    ]


def test_builtins_are_auto_loaded_with_cards() -> None:
    tools = {t.name: t for t in all_tools()}
    assert {"get_weather", "current_time", "calculate"} <= set(tools)
    assert tools["get_weather"].card == "weather"
    assert tools["calculate"].card is None


def test_schema_for_keeps_order_and_skips_unknown_names() -> None:
    names = [t["name"] for t in schema_for(["calculate", "no_such_function", "get_weather"])]
    assert names == ["calculate", "get_weather"]


def test_nested_optional_literal_and_docstring_schema() -> None:
    tool = build_tool(search_places)
    schema = tool.params_schema
    point = {
        "type": "object",
        "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}, "label": {"type": ["string", "null"]}},
        "required": ["lat", "lon", "label"],
        "additionalProperties": False,
    }
    assert tool.description == "Find places near a point."
    assert schema["required"] == ["query", "near", "stops", "window", "limit", "sort"]
    assert schema["additionalProperties"] is False
    props = schema["properties"]
    assert props["query"] == {"type": "string", "description": "What to look for"}
    # $ref with a description next to it is inlined: strict mode allows no siblings of $ref.
    assert props["near"] == {**point, "description": "Centre of the search."}
    assert props["stops"] == {"type": "array", "items": {"$ref": "#/$defs/Point"}}
    assert schema["$defs"]["Point"] == {**point, "description": "A point on the map."}
    assert props["window"] == {"anyOf": [{"$ref": "#/$defs/Window"}, {"type": "null"}]}
    assert schema["$defs"]["Window"] == {
        "type": "object",
        "properties": {"start": {"type": "string"}, "end": {"type": "string"}},
        "required": ["start", "end"],
        "additionalProperties": False,
    }
    assert props["limit"] == {
        "type": ["integer", "null"],
        "description": "Maximum number of places, none for the default.",
    }
    assert props["sort"] == {"type": "string", "enum": ["distance", "rating"], "description": "Order of the results."}
    dumped = json.dumps(schema)
    assert '"default":' not in dumped and '"title":' not in dumped


def test_open_dict_and_untyped_params_are_refused_at_registration() -> None:
    def open_dict(tags: dict[str, int]) -> None:
        """Take a free-form mapping."""

    def untyped(x) -> None:  # type: ignore[no-untyped-def]
        """Take anything."""

    with pytest.raises(TypeError, match="open objects"):
        build_tool(open_dict)
    with pytest.raises(TypeError, match="needs a type hint"):
        build_tool(untyped)


def test_run_call_validates_and_passes_models() -> None:
    tools = _tools(search_places)
    args = {
        "query": "tea",
        "near": {"lat": 1, "lon": 2, "label": None},
        "stops": [],
        "window": None,
        "limit": 2,
        "sort": "rating",
    }
    result = run_call("search_places", json.dumps(args), tools)
    assert result == type(result)(output='["tea","tea"]', error=None, value=["tea", "tea"])


def test_run_call_happy_path_and_string_output() -> None:
    result = run_call("divide", '{"a": 1, "b": 4}', _tools(divide))
    assert (result.output, result.error, result.value) == ("0.25", None, 0.25)
    assert run_call("slow", '{"label": "hi", "seconds": 0}', _tools(slow)).output == "hi"


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ('{"a": 1, "b": ', "JSONDecodeError: "),
        ('{"a": 1}', "ValidationError: invalid arguments for divide: b: Field required"),
        ('{"a": "x", "b": 2}', "ValidationError: invalid arguments for divide: a: Input should be a valid"),
        ('{"a": 1, "b": 2, "c": 3}', "ValidationError: invalid arguments for divide: c: Extra inputs"),
        ('{"a": 1, "b": 0}', "ZeroDivisionError: float division by zero"),
        ("[1, 2]", "TypeError: arguments must be a JSON object, got list"),
    ],
)
def test_run_call_turns_every_failure_into_error_text(arguments: str, error: str) -> None:
    result = run_call("divide", arguments, _tools(divide))
    assert result.error is not None and result.error.startswith(error)
    assert result.output == f"Error: {result.error}"
    assert result.value is None


def test_run_call_unknown_function() -> None:
    result = run_call("launch_rockets", "{}")
    assert result.output == "Error: LookupError: unknown function 'launch_rockets'"


def test_run_calls_runs_concurrently_in_order() -> None:
    both_running = threading.Barrier(2, timeout=10)

    def meet(label: str) -> str:
        """Wait until the other call runs too, then echo the label."""
        both_running.wait()  # run one after the other, the first call breaks the barrier and fails
        return label

    calls = [("call_a", "meet", '{"label": "a"}'), ("call_b", "meet", '{"label": "b"}')]
    results = run_calls(calls, tools=_tools(meet))
    assert [(cid, r.output) for cid, r in results] == [("call_a", "a"), ("call_b", "b")]


def test_run_calls_timeout_gives_an_error_result_for_the_stuck_call_only() -> None:
    released, ended, outcome = threading.Event(), threading.Event(), []

    def stuck(label: str) -> str:
        """Block until the test lets it go (or 10 s pass), then echo the label."""
        outcome.append(released.wait(timeout=10))
        ended.set()
        return label

    def fast(label: str) -> str:
        """Echo the label."""
        return label

    calls = [
        ("call_stuck", "stuck", '{"label": "late"}'),
        ("call_fast", "fast", '{"label": "fast"}'),
        ("call_bad", "fast", "{}"),
    ]
    try:
        results = run_calls(calls, timeout=0.2, tools=_tools(stuck, fast))
    finally:
        released.set()
    assert ended.wait(timeout=10)
    assert outcome == [True]  # still running when run_calls returned: the turn does not wait for it
    assert [cid for cid, _ in results] == ["call_stuck", "call_fast", "call_bad"]
    assert results[0][1].output == "Error: TimeoutError: stuck did not finish within 0.2 s"
    assert results[1][1].output == "fast"
    assert results[2][1].error is not None and "Field required" in results[2][1].error
    assert run_calls([]) == []


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os')",
        "9 ** 9 ** 9",
        "10 ** 5000",
        "(2 ** 1000) ** 1000",
        "1e308 * 10",
        "x + 1",
        "[1, 2]",
        "1 if 1 else 2",
        "'a' * 3",
        "(-8) ** 0.5",
        "1 / 0",
        "1 +",
    ],
)
def test_calculator_rejects_everything_but_bounded_arithmetic(expression: str) -> None:
    result = run_call("calculate", json.dumps({"expression": expression}))
    assert result.error is not None and result.error.startswith("ValueError: ")


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("(2 + 3) * 4 ** 2", 80.0),
        ("-2 ** 2", -4.0),
        ("7 // 2 + 7 % 3", 4.0),
        ("1 / 4", 0.25),
        ("2 ** -1", 0.5),
    ],
)
def test_calculator_arithmetic(expression: str, value: float) -> None:
    result = run_call("calculate", json.dumps({"expression": expression}))
    assert (result.value, result.output) == (value, json.dumps(value))


def test_current_time_good_and_bad_zone() -> None:
    good = run_call("current_time", '{"timezone": "Asia/Tokyo"}')
    assert good.error is None and good.value["timezone"] == "Asia/Tokyo"
    assert good.value["utc_offset"] == "+0900"
    bad = run_call("current_time", '{"timezone": "Mars/Olympus_Mons"}')
    assert bad.output == (
        "Error: ValueError: unknown time zone 'Mars/Olympus_Mons'; use an IANA name like 'Europe/Paris'"
    )


def test_weather_is_simulated_and_deterministic_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEATHER_LIVE", raising=False)
    first = run_call("get_weather", '{"location": "Paris, France", "unit": "celsius"}')
    again = run_call("get_weather", '{"location": " paris, france ", "unit": "celsius"}')
    fahrenheit = run_call("get_weather", '{"location": "Paris, France", "unit": "fahrenheit"}')
    assert first.error is None and first.value["source"] == "simulated"
    assert set(first.value) == {
        "location",
        "temperature",
        "unit",
        "conditions",
        "humidity_percent",
        "wind_kph",
        "source",
    }
    assert again.value["temperature"] == first.value["temperature"]
    assert fahrenheit.value["temperature"] == round(first.value["temperature"] * 9 / 5 + 32, 1)
    assert run_call("get_weather", '{"location": "Oslo", "unit": "celsius"}').value != first.value


def test_decorator_bare_and_with_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("lib.registry._REGISTRY", {})

    @tool
    def echo(text: str) -> str:
        """Echo the text."""
        return text

    @tool(name="shout", description="Upper-case the text.", card="banner")
    def loud(text: str) -> str:
        return text.upper()

    assert echo("hi") == "hi"  # the decorator hands back the plain function
    assert [(t.name, t.description, t.card) for t in all_tools()] == [
        ("echo", "Echo the text.", None),
        ("shout", "Upper-case the text.", "banner"),
    ]
    assert run_call("shout", '{"text": "hi"}').output == "HI"


def test_a_second_function_cannot_take_a_registered_name() -> None:
    def get_weather(location: str) -> str:
        """An impostor."""
        return location

    with pytest.raises(ValueError, match="already registered"):
        tool(get_weather)
    assert registry()["get_weather"].function is weather.get_weather


def test_live_weather_maps_open_meteo(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {
        "https://geocoding-api.open-meteo.com/v1/search": {
            "results": [{"name": "Paris", "country": "France", "latitude": 48.85, "longitude": 2.35}]
        },
        "https://api.open-meteo.com/v1/forecast": {
            "current": {"temperature_2m": 12.5, "relative_humidity_2m": 80, "wind_speed_10m": 9.4, "weather_code": 63}
        },
    }
    asked: list[tuple[str, dict[str, object]]] = []

    def fake_get_json(url: str, params: dict[str, object]) -> object:
        asked.append((url, params))
        return answers[url]

    monkeypatch.setenv("WEATHER_LIVE", "1")
    monkeypatch.setattr(weather, "_get_json", fake_get_json)
    result = run_call("get_weather", '{"location": "Paris, France", "unit": "fahrenheit"}')
    assert result.value == {
        "location": "Paris, France",
        "temperature": 12.5,
        "unit": "fahrenheit",
        "conditions": "rain",
        "humidity_percent": 80,
        "wind_kph": 9.4,
        "source": "open-meteo.com",
    }
    assert asked[0][1]["name"] == "Paris" and asked[1][1]["temperature_unit"] == "fahrenheit"
