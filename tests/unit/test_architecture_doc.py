"""docs/ARCHITECTURE.md names only what exists, and lists every module with its own first docstring line."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
MAPPED = ["Home.py", "app_pages", "lib"]  # every module under these is on the map
PATH = re.compile(r"(?<![\w/.])((?:lib|app_pages|tests)/[\w/]+\.py|Home\.py)\b")
REFERENCE = re.compile(r"(?<![\w/.])((?:lib|app_pages|tests)/[\w/]+\.py|Home\.py):([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)")
MODULE_LINE = re.compile(r"^- `([\w/.]+\.py)`: (.+)$", re.MULTILINE)


@cache
def tree(path: str) -> ast.Module:
    return ast.parse((ROOT / path).read_text(encoding="utf-8"))


def names_in(body: list[ast.stmt]) -> dict[str, ast.stmt]:
    """Functions, classes and assigned names defined directly in a module's or class's body."""
    found: dict[str, ast.stmt] = {}
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found[node.name] = node
        elif isinstance(node, ast.Assign):
            found |= {t.id: node for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found[node.target.id] = node
    return found


def defined(path: str, dotted: str) -> bool:
    """True when `dotted` (a name, or Class.member) is defined in the module at `path`."""
    head, _, member = dotted.partition(".")
    node = names_in(tree(path).body).get(head)
    if node is None or not member:
        return node is not None
    return isinstance(node, ast.ClassDef) and member in names_in(node.body)


def mapped_modules() -> list[str]:
    """The modules the map must list: Home.py, and every module under app_pages/ and lib/ but empty packages."""
    found = ["Home.py"]
    for folder in MAPPED[1:]:
        found += [
            str(p.relative_to(ROOT))
            for p in sorted((ROOT / folder).rglob("*.py"))
            if p.name != "__init__.py" or p.read_text(encoding="utf-8").strip()
        ]
    return found


def test_every_path_named_exists() -> None:
    missing = sorted({p for p in PATH.findall(DOC) if not (ROOT / p).is_file()})
    assert missing == []


def test_every_file_function_named_is_defined() -> None:
    references = REFERENCE.findall(DOC)
    assert len(references) > 50  # the turn's flow names its steps this way
    assert sorted({f"{p}:{n}" for p, n in references if not (ROOT / p).is_file() or not defined(p, n)}) == []


def test_every_module_is_listed_with_its_first_docstring_line() -> None:
    listed = dict(MODULE_LINE.findall(DOC))
    expected = {path: (ast.get_docstring(tree(path)) or "(no docstring)").splitlines()[0] for path in mapped_modules()}
    assert sorted(set(expected) - set(listed)) == [], "modules missing from docs/ARCHITECTURE.md"
    assert {p: line for p, line in listed.items() if expected.get(p) != line} == {}, (
        "lines that differ from the module's first docstring line (or modules that are gone)"
    )


def test_shared_session_keys_are_the_constants_of_state() -> None:
    section = DOC.split("## Where session state lives", 1)[1].split("- **Page-local keys**", 1)[0]
    keys = re.findall(r"`([A-Z_]+)`", section)
    assert keys and all(defined("lib/ui/state.py", key) for key in keys), keys
