"""Check a structured-output JSON Schema before it is sent, naming the first problem found."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError


def _path(parts: list[str]) -> str:
    return "/".join(parts) or "the root"


def _strict_problem(node: Any, path: list[str]) -> str | None:
    """Strict mode wants closed objects whose every property is required."""
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            properties = node.get("properties") or {}
            if node.get("additionalProperties") is not False:
                return f'{_path(path)}: strict mode needs "additionalProperties": false on every object'
            missing = sorted(set(properties) - set(node.get("required") or []))
            if missing:
                return f"{_path(path)}: strict mode needs every property in \"required\"; missing {', '.join(missing)}"
        for key, value in node.items():
            if problem := _strict_problem(value, [*path, key]):
                return problem
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if problem := _strict_problem(value, [*path, str(index)]):
                return problem
    return None


def schema_problem(text: str) -> str | None:
    """None when `text` is empty or a schema the API accepts in strict mode; else what is wrong."""
    if not text.strip():
        return None
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as error:
        return f"Not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return 'The schema\'s root must be an object: {"type": "object", ...}.'
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = "/".join(str(p) for p in error.absolute_path) or "the root"
        return f"Not a valid JSON Schema at {where}: {error.message}"
    if problem := _strict_problem(schema, []):
        return problem[0].upper() + problem[1:] + "."
    return None
