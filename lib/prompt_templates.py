"""Prompt templates: instructions and a user message with `{{variables}}`, rendered, diffed, imported and exported."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# {{ name }}: a letter or underscore, then letters, digits or underscores (the names OpenAI's prompts used).
VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# The variable that stands for what was typed into the chat input.
INPUT = "input"
EXPORT_FORMAT = "responses-studio-prompts"
MAX_IMPORT_BYTES = 1_000_000
MAX_TEXT_CHARS = 100_000


@dataclass(frozen=True)
class PromptVersion:
    """One saved version of a template: every save makes a new one, none is ever changed."""

    name: str
    version: int
    instructions: str = ""
    user_message: str = ""
    defaults: Mapping[str, str] = field(default_factory=dict)  # variable -> value used when the form is blank
    source: str = ""  # where it came from: "", "import", "restore of v2", an OpenAI prompt id
    created_at: datetime | None = None

    @property
    def variables(self) -> list[str]:
        """The variables the form asks for, in order of first use ({{input}} is the typed message)."""
        return [name for name in variables(self.instructions, self.user_message) if name != INPUT]

    def same_text(self, other: PromptVersion) -> bool:
        """True when saving `other` after this one would change nothing."""
        return (self.instructions, self.user_message, dict(self.defaults)) == (
            other.instructions,
            other.user_message,
            dict(other.defaults),
        )


class MissingVariables(ValueError):
    """Variables with no value and no default: the message names them."""

    def __init__(self, names: list[str]) -> None:
        super().__init__("Fill in " + ", ".join("{{" + n + "}}" for n in names) + " above the message box.")
        self.names = names


def variables(*texts: str) -> list[str]:
    """The distinct variable names in these texts, in order of first appearance."""
    seen: dict[str, None] = {}
    for text in texts:
        for match in VARIABLE.finditer(text or ""):
            seen.setdefault(match.group(1))
    return list(seen)


def render(text: str, values: Mapping[str, str]) -> str:
    """The text with every variable replaced in one pass: a value holding `{{x}}` stays as typed."""
    if missing := [name for name in variables(text) if name not in values]:
        raise MissingVariables(missing)
    return VARIABLE.sub(lambda m: str(values[m.group(1)]), text)


def values_for(template: PromptVersion, typed: Mapping[str, str]) -> dict[str, str]:
    """The values to render with: what the form says, else the template's default; blanks are missing."""
    chosen = {n: typed.get(n) or template.defaults.get(n, "") for n in template.variables}
    if missing := [name for name, value in chosen.items() if not value]:
        raise MissingVariables(missing)
    return chosen


def user_text(template: PromptVersion, values: Mapping[str, str], typed: str) -> str:
    """The user message to send: the template around what was typed ({{input}}), or the typed text alone."""
    if not template.user_message.strip():
        return typed
    if INPUT in variables(template.user_message):
        return render(template.user_message, {**values, INPUT: typed})
    rendered = render(template.user_message, values)
    return f"{rendered}\n\n{typed}" if typed else rendered


def with_defaults(template: PromptVersion) -> tuple[str, str]:
    """Instructions and user message filled with the template's defaults, `{{input}}` left in place: for runs
    with no form to fill (an eval). Raises MissingVariables naming the variables without a default."""
    keep = {**values_for(template, {}), INPUT: "{{" + INPUT + "}}"}
    return render(template.instructions, keep), render(template.user_message, keep)


def wrap_message(wrap: str, typed: str) -> str:
    """`typed` inside a user message filled by with_defaults: at its `{{input}}`, else after it."""
    marker = "{{" + INPUT + "}}"
    if not wrap.strip():
        return typed
    if marker in wrap:
        return wrap.replace(marker, typed)
    return f"{wrap}\n\n{typed}" if typed else wrap


def diff(old: PromptVersion, new: PromptVersion) -> str:
    """A unified diff of two versions' instructions and user message ("" when they are the same)."""
    parts = []
    for label, a, b in (
        ("instructions", old.instructions, new.instructions),
        ("user message", old.user_message, new.user_message),
    ):
        lines = difflib.unified_diff(
            a.splitlines(), b.splitlines(), f"{label} v{old.version}", f"{label} v{new.version}", lineterm=""
        )
        parts.append("\n".join(lines))
    return "\n".join(part for part in parts if part)


def to_export(versions: list[PromptVersion]) -> str:
    """This app's JSON export of templates, every version kept."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for v in sorted(versions, key=lambda v: (v.name, v.version)):
        by_name.setdefault(v.name, []).append(
            {
                "version": v.version,
                "instructions": v.instructions,
                "user_message": v.user_message,
                "variables": dict(v.defaults),
            }
        )
    prompts = [{"name": name, "versions": found} for name, found in by_name.items()]
    return json.dumps({"format": EXPORT_FORMAT, "prompts": prompts}, indent=2, ensure_ascii=False)


def parse_import(raw: bytes | str) -> list[PromptVersion]:
    """Versions from an export of this app, or from OpenAI prompt objects (id, version, instructions,
    variables); raises ValueError saying what is wrong. Versions are numbered anew when saved."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValueError(f"The file is larger than {MAX_IMPORT_BYTES // 1_000_000} MB.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"The file is not JSON ({error}).") from error
    if isinstance(data, dict) and data.get("format") == EXPORT_FORMAT:
        found = [
            _version(p.get("name"), v, source="import")
            for p in _list(data.get("prompts"), "prompts")
            for v in _list(p.get("versions"), "versions")
        ]
    else:
        objects = data.get("data", [data]) if isinstance(data, dict) else data
        found = [_openai_prompt(item) for item in _list(objects, "prompts")]
    if not found:
        raise ValueError("The file holds no prompts.")
    return sorted(found, key=lambda v: (v.name, v.version))


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValueError(f'"{what}" must be a list of objects.')
    return value


def _text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f'"{what}" must be text.')
    if len(value) > MAX_TEXT_CHARS:
        raise ValueError(f'"{what}" is longer than {MAX_TEXT_CHARS:,} characters.')
    return value


def _defaults(value: Any) -> dict[str, str]:
    """Variable defaults: plain text, or an OpenAI input_text part {"type": "input_text", "text": …}."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError('"variables" must be an object of name -> value.')
    out = {}
    for name, item in value.items():
        if not VARIABLE.fullmatch("{{" + str(name) + "}}"):
            raise ValueError(f"{name!r} is not a variable name (letters, digits and _).")
        text = item.get("text") if isinstance(item, dict) else item
        out[str(name)] = _text(text if text is not None else "", f"variables.{name}")
    return out


def _version(name: Any, item: dict[str, Any], *, source: str) -> PromptVersion:
    name = _text(name, "name").strip()
    if not name or len(name) > 200:
        raise ValueError("Every prompt needs a name of 1 to 200 characters.")
    version = item.get("version", 1)
    try:
        number = int(version)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name}: version {version!r} is not a number.") from error
    return PromptVersion(
        name=name,
        version=number,
        instructions=_text(item.get("instructions"), "instructions"),
        user_message=_text(item.get("user_message"), "user_message"),
        defaults=_defaults(item.get("variables")),
        source=source,
    )


def _openai_prompt(item: dict[str, Any]) -> PromptVersion:
    """An OpenAI prompt object: its id names the template, its instructions are the text."""
    prompt_id = item.get("id") or item.get("name")
    found = _version(prompt_id, item, source=f"OpenAI prompt {prompt_id}")
    if not found.instructions.strip():
        raise ValueError(f"{found.name}: no instructions to import.")
    return found
