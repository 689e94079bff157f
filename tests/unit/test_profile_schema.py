"""Profiles and function tools are held to the one strict-schema rule that Setup checks structured output with."""

from __future__ import annotations

import json

import pytest

from lib.profile_format import from_data
from lib.registry import all_tools
from lib.strict_schema import make_strict, schema_problem, strict_problem
from tests.app.test_profile_schema import OPEN_OBJECT, REASON, bad_profile


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        (OPEN_OBJECT, REASON),
        (
            "{not json",
            "Its structured-output schema is not usable: Not valid JSON: Expecting property name enclosed in "
            "double quotes at line 1, column 2.",
        ),
        ({"type": "object"}, "Its structured-output schema is not usable: It must be the schema as JSON text."),
    ],
)
def test_from_data_refuses_a_schema_setup_would_refuse(schema, reason: str) -> None:
    data = bad_profile()
    data["tools"]["json_schema"] = schema
    with pytest.raises(ValueError) as refused:
        from_data(data)
    assert str(refused.value) == reason


def test_function_schemas_keep_the_rule_structured_output_is_checked_by() -> None:
    for tool in all_tools():
        assert strict_problem(tool.params_schema) is None, tool.name
        assert schema_problem(json.dumps(tool.params_schema)) is None, tool.name
    made = make_strict(
        {
            "type": "object",
            "properties": {
                "properties": {"type": "string"},
                "type": {"type": "object", "properties": {"x": {"type": "integer"}}},
            },
        }
    )
    assert made["required"] == ["properties", "type"] and made["properties"]["type"]["additionalProperties"] is False
    assert strict_problem(made) is None  # a property may be called "properties" or "type"
