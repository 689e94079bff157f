"""What a recording should look like on the chat page, and what the page shows, as comparable text."""

from __future__ import annotations

from typing import Any

from lib.markup import escape_markdown, safe_markdown
from lib.stream import Usage
from tests.replay.corpus import Case

NOT_CARDS = {"message", "reasoning", "mcp_approval_response"}


def visible(block: Any) -> list[str]:
    """Every element a user sees in a block, in order, as `kind: text` (labels for widgets and cards).

    Consecutive markdown in the same card reads as one: the live answer draws each paragraph as its own element,
    and its citations in a placeholder of their own.
    """
    seen: list[tuple[int | None, str]] = []  # (id of the card around it, line)

    def walk(node: Any, card: int | None) -> None:
        kind = getattr(node, "type", type(node).__name__)
        label = getattr(node, "label", None)
        if kind == "chat_input":
            return
        if isinstance(label, str):
            seen.append((card, f"{kind}: {label}"))
        elif kind in {"markdown", "caption", "error", "warning", "info", "success", "code", "json", "latex"}:
            seen.append((card, f"{kind}: {node.value}"))
        elif kind not in {
            "block",
            "chat_message",
            "vertical",
            "horizontal",
            "column",
            "tab",
            "form",
            "container",
            "empty",
            "UnknownElement",
            "flex_container",
        }:
            seen.append((card, kind))
        inside = id(node) if kind in {"status", "expander"} else card
        for child in getattr(node, "children", {}).values():
            walk(child, inside)

    walk(block, None)
    lines: list[str] = []
    for number, (card, line) in enumerate(seen):
        follows = number and seen[number - 1][0] == card and lines[-1].startswith("markdown: ")
        if line.startswith("markdown: ") and follows:
            lines[-1] = f"{lines[-1]} {line.removeprefix('markdown: ')}"
        else:
            lines.append(line)
    return [" ".join(line.split()) for line in lines]


def flat(lines: list[str]) -> str:
    """The texts with whitespace collapsed: a paragraph drawn as one element or as several reads the same."""
    text = " ".join(line.split(": ", 1)[-1] for line in lines if line.startswith(("markdown", "caption")))
    return " ".join(text.split())


def outputs(case: Case) -> list[dict[str, Any]]:
    """Every output item of every stream, the last version of each id (a continued turn repeats some)."""
    items: dict[str, dict[str, Any]] = {}
    for final in case.finals():
        for item in (final or {}).get("output") or []:
            items[item["id"]] = item
    return list(items.values())


def texts(case: Case) -> list[str]:
    """The text of every assistant message, as the page draws model text: through lib.markup (links show their
    host, images and non-web links are not followed; tests/unit/test_markup.py pins that rewriting)."""
    return [
        safe_markdown("".join(c.get("text", "") for c in item.get("content") or [] if c.get("type") == "output_text"))
        for item in outputs(case)
        if item["type"] == "message"
    ]


def citations(case: Case) -> list[str]:
    """How each citation shows under its answer: the URL of a link, the escaped file name, a download label."""
    shown = []
    for item in outputs(case):
        for part in item.get("content") or [] if item["type"] == "message" else []:
            for note in part.get("annotations") or []:
                if note["type"] == "url_citation":
                    shown.append(f"({note['url'].replace(' ', '%20').replace(')', '%29').replace('(', '%28')})")
                elif note["type"] == "file_citation":
                    shown.append(escape_markdown(note.get("filename") or note["file_id"]))
                elif note["type"] == "container_file_citation":
                    shown.append(f"Download {note.get('filename') or note['file_id']}")
    return shown


def usage_prefix(case: Case) -> str | None:
    """The start of the usage line: the tokens summed over the turn's responses (None: no usage recorded)."""
    usage, counted = Usage(), False
    for final in case.finals():
        if final and final.get("usage"):
            usage.add(final["usage"])
            counted = True
    if not counted:
        return None
    return (
        f"{usage.input_tokens:,} in ({usage.cached_tokens:,} cached) · "
        f"{usage.output_tokens:,} out ({usage.reasoning_tokens:,} reasoning)"
    )


def cards(case: Case) -> int:
    """How many tool cards the answer has (approval requests and calls included)."""
    return sum(item["type"] not in NOT_CARDS for item in outputs(case))


def calls(case: Case, index: int) -> list[dict[str, Any]]:
    """The function calls of one stream's terminal response."""
    final = case.finals()[index] or {}
    return [item for item in final.get("output") or [] if item["type"] == "function_call"]


def thoughts(case: Case) -> int:
    """How many reasoning items have summary text (each is one "Thinking" section)."""
    return sum(
        bool(item["type"] == "reasoning" and any(s.get("text") for s in item.get("summary") or []))
        for item in outputs(case)
    )
