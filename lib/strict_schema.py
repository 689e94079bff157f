"""Strict JSON Schemas, for function tools and structured output alike: make one strict, or name why it is not.

Strict mode (functions with `"strict": true`, `text.format` json_schema) wants every object closed
(`"additionalProperties": false`) with every property in `"required"`; optional means a null type.
"""

from __future__ import annotations

import copy
import json
from typing import Any

# Keywords pydantic emits that strict mode rejects or that only add noise to the prompt.
_DROPPED_KEYWORDS = ("title", "default", "discriminator")
_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties", "dependentSchemas")


def is_object(node: dict[str, Any]) -> bool:
    """True for a schema node that describes an object: the nodes strict mode closes."""
    return node.get("type") == "object" or "properties" in node


def make_strict(schema: dict[str, Any]) -> dict[str, Any]:
    """A generated schema (pydantic's) made strict in place; TypeError for an open object it cannot close."""
    return _strict(schema, schema)


def _strict(node: Any, root: dict[str, Any], inlining: tuple[str, ...] = ()) -> Any:
    """Make a JSON schema node strict in place (closed objects, all required, no defaults)."""
    if not isinstance(node, dict):
        return node
    for key in _DROPPED_KEYWORDS:
        node.pop(key, None)
    if "const" in node:  # single-value Literal: enum is the form strict mode documents
        node["enum"] = [node.pop("const")]
    for sub in node.get("$defs", {}).values():
        _strict(sub, root)
    if is_object(node):
        extra = node.get("additionalProperties", False)
        if extra is not False or "properties" not in node:
            raise TypeError(
                "open objects (dict, Any mapping) are not allowed in strict schemas; use a pydantic model or TypedDict"
            )
        node.update(type="object", additionalProperties=False, required=list(node["properties"]))
        for prop in node["properties"].values():
            _strict(prop, root, inlining)
    if isinstance(node.get("items"), dict):
        _strict(node["items"], root, inlining)
    if "oneOf" in node:
        node["anyOf"] = node.get("anyOf", []) + node.pop("oneOf")
    for variant in node.get("anyOf", []):
        _strict(variant, root, inlining)
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1:  # pydantic's "$ref plus description" wrapper
        node.update({**node.pop("allOf")[0], **node})
        return _strict(node, root, inlining)
    ref = node.get("$ref")
    if ref and len(node) > 1:
        # Strict mode rejects siblings next to $ref (e.g. a description): inline the target,
        # unless it is already being inlined (a recursive model), then keep the bare ref.
        if ref in inlining:
            return {"$ref": ref}
        target = copy.deepcopy(_resolve(root, ref))
        node.pop("$ref")
        node.update({**target, **node})
        return _strict(node, root, (*inlining, ref))
    any_of = node.get("anyOf")
    if any_of and "type" not in node and all(set(v) == {"type"} for v in any_of):
        # `str | None` reads better to the model as one type list than as a union of schemas.
        node["type"] = [v["type"] for v in node.pop("anyOf")]
    return node


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    """Follow a local `#/...` JSON pointer."""
    target: Any = root
    for part in ref.removeprefix("#/").split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return target


def _path(parts: list[str]) -> str:
    return "/".join(parts) or "the root"


def _strict_problem(node: Any, path: list[str]) -> str | None:
    """The first object that is not closed, or has a property not in "required"."""
    if isinstance(node, dict):
        if is_object(node):
            properties = node.get("properties") or {}
            if node.get("additionalProperties") is not False:
                return f'{_path(path)}: strict mode needs "additionalProperties": false on every object'
            missing = sorted(set(properties) - set(node.get("required") or []))
            if missing:
                return f'{_path(path)}: strict mode needs every property in "required"; missing {", ".join(missing)}'
        for key, value in node.items():
            # A map of names to schemas is no schema itself: a property may well be called "properties".
            named = value.items() if key in _SCHEMA_MAPS and isinstance(value, dict) else [(None, value)]
            for name, child in named:
                if problem := _strict_problem(child, [*path, key] if name is None else [*path, key, name]):
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
    # Imported here: jsonschema (with referencing and rpds) takes ~80 ms to load and only Setup's checks need it,
    # not the first paint of a chat (lib.settings imports this module through lib.tools and lib.registry).
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = "/".join(str(p) for p in error.absolute_path) or "the root"
        return f"Not a valid JSON Schema at {where}: {error.message}"
    return strict_problem(schema)


def strict_problem(schema: dict[str, Any]) -> str | None:
    """None when the schema keeps strict mode's rules; else the first place that does not, as a sentence."""
    if problem := _strict_problem(schema, []):
        return problem[0].upper() + problem[1:] + "."
    return None
