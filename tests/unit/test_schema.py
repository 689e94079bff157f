"""Structured-output schemas are checked with a message that names the problem."""

from __future__ import annotations

import json

from lib.chat import text_format
from lib.strict_schema import schema_problem

GOOD = {
    "type": "object",
    "title": "City list",
    "additionalProperties": False,
    "required": ["cities"],
    "properties": {
        "cities": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "population"],
                "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
            },
        }
    },
}


def test_good_schema_passes_and_becomes_a_strict_text_format() -> None:
    assert schema_problem(json.dumps(GOOD)) is None
    assert schema_problem("  ") is None
    assert text_format(json.dumps(GOOD)) == {"type": "json_schema", "name": "City_list", "schema": GOOD, "strict": True}


def test_each_problem_is_named() -> None:
    assert schema_problem("{'type': 'object'}") == (
        "Not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2."
    )
    assert schema_problem('{"type": "array"}') == 'The schema\'s root must be an object: {"type": "object", ...}.'
    bad_type = dict(GOOD, properties={"cities": {"type": "list"}})
    assert schema_problem(json.dumps(bad_type)).startswith("Not a valid JSON Schema at properties/cities/type:")
    open_object = json.loads(json.dumps(GOOD))
    del open_object["properties"]["cities"]["items"]["additionalProperties"]
    assert schema_problem(json.dumps(open_object)) == (
        'Properties/cities/items: strict mode needs "additionalProperties": false on every object.'
    )
    optional = json.loads(json.dumps(GOOD))
    optional["properties"]["cities"]["items"]["required"] = ["name"]
    assert schema_problem(json.dumps(optional)) == (
        'Properties/cities/items: strict mode needs every property in "required"; missing population.'
    )
