"""Prompt templates: variables, rendering, the user message around the typed text, diff, import and export."""

from __future__ import annotations

import json

import pytest

from lib.prompt_templates import (
    MissingVariables,
    PromptVersion,
    diff,
    parse_import,
    render,
    to_export,
    user_text,
    values_for,
    variables,
    with_defaults,
    wrap_message,
)


def test_variables_are_found_once_in_order_of_first_use() -> None:
    assert variables("Hi {{ name }}, from {{city}}", "{{name}} again, {{input}} {{ 9bad }} {{a-b}}") == [
        "name",
        "city",
        "input",
    ]


def test_render_is_one_pass_so_a_value_cannot_pull_in_another_variable() -> None:
    assert render("A {{x}} B {{y}}", {"x": "{{y}}", "y": "2"}) == "A {{y}} B 2"


def test_missing_values_are_named() -> None:
    with pytest.raises(MissingVariables) as raised:
        render("{{a}} {{b}} {{a}}", {"b": "1"})
    assert raised.value.names == ["a"]
    assert str(raised.value) == "Fill in {{a}} above the message box."


def test_defaults_fill_blank_fields_and_blank_defaults_are_missing() -> None:
    template = PromptVersion("t", 1, "{{lang}} {{tone}} {{topic}}", "", {"lang": "French", "topic": ""})
    assert template.variables == ["lang", "tone", "topic"]
    assert values_for(template, {"tone": "dry", "topic": "tea"}) == {"lang": "French", "tone": "dry", "topic": "tea"}
    with pytest.raises(MissingVariables) as raised:
        values_for(template, {"tone": "", "lang": ""})
    assert raised.value.names == ["tone", "topic"]


def test_user_message_wraps_the_typed_text() -> None:
    around = PromptVersion("t", 1, "", "Question about {{product}}: {{input}}")
    assert user_text(around, {"product": "Acme"}, "does it float?") == "Question about Acme: does it float?"
    before = PromptVersion("t", 1, "", "Context: {{product}}")
    assert user_text(before, {"product": "Acme"}, "why?") == "Context: Acme\n\nwhy?"
    assert user_text(PromptVersion("t", 1, "Be brief"), {}, "hi") == "hi"
    assert "input" not in around.variables


def test_diff_names_both_versions_and_only_what_changed() -> None:
    v1 = PromptVersion("t", 1, "Be brief.\nAnswer in English.", "Hi")
    v2 = PromptVersion("t", 2, "Be brief.\nAnswer in {{language}}.", "Hi")
    text = diff(v1, v2)
    assert text.splitlines()[:2] == ["--- instructions v1", "+++ instructions v2"]
    assert "-Answer in English." in text and "+Answer in {{language}}." in text
    assert "user message" not in text
    assert diff(v1, v1) == ""


def test_export_then_import_keeps_every_version() -> None:
    versions = [
        PromptVersion("b", 1, "B1"),
        PromptVersion("a", 2, "A2 {{x}}", "{{input}}", {"x": "1"}),
        PromptVersion("a", 1, "A1"),
    ]
    back = parse_import(to_export(versions))
    assert [(v.name, v.version, v.instructions, v.user_message, dict(v.defaults), v.source) for v in back] == [
        ("a", 1, "A1", "", {}, "import"),
        ("a", 2, "A2 {{x}}", "{{input}}", {"x": "1"}, "import"),
        ("b", 1, "B1", "", {}, "import"),
    ]


def test_openai_prompt_objects_import_with_their_variables() -> None:
    objects = {
        "object": "list",
        "data": [
            {
                "id": "pmpt_abc",
                "version": "3",
                "instructions": "Help with {{topic}}.",
                "variables": {"topic": {"type": "input_text", "text": "billing"}},
            },
            {"id": "pmpt_abc", "version": "1", "instructions": "Help."},
        ],
    }
    found = parse_import(json.dumps(objects))
    assert [(v.name, v.version, v.defaults) for v in found] == [
        ("pmpt_abc", 1, {}),
        ("pmpt_abc", 3, {"topic": "billing"}),
    ]
    assert found[1].source == "OpenAI prompt pmpt_abc"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "holds no prompts"),
        ('{"id": "p", "instructions": ""}', "no instructions"),
        ('{"id": "p", "instructions": "x", "variables": {"bad name": "1"}}', "not a variable name"),
        ('{"id": "p", "instructions": "x", "version": "two"}', "is not a number"),
        ('{"format": "responses-studio-prompts", "prompts": [{"name": "", "versions": [{}]}]}', "needs a name"),
        ('{"id": "p", "instructions": 5}', '"instructions" must be text'),
        ("[1, 2]", "list of objects"),
    ],
)
def test_bad_imports_say_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_import(raw)


def test_huge_imports_are_refused_before_parsing() -> None:
    with pytest.raises(ValueError, match="larger than 1 MB"):
        parse_import(b" " * 1_000_001)


def test_a_run_fills_a_template_with_its_defaults_and_keeps_the_input_slot() -> None:
    template = PromptVersion("t", 1, "Speak {{ lang }}.", "Q ({{lang}}): {{ input }}", {"lang": "{{Welsh}}"})
    instructions, wrap = with_defaults(template)
    assert instructions == "Speak {{Welsh}}." and wrap == "Q ({{Welsh}}): {{input}}"
    assert wrap_message(wrap, "why?") == "Q ({{Welsh}}): why?"  # a default's braces are text, never a variable
    assert wrap_message("Context first", "why?") == "Context first\n\nwhy?" and wrap_message("", "why?") == "why?"
    with pytest.raises(MissingVariables):
        with_defaults(PromptVersion("t", 1, "{{needs}}"))
