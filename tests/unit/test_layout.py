"""The layout rules the map in docs/ARCHITECTURE.md states, checked on the source tree."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = [p for p in sorted((ROOT / "lib").rglob("*.py")) if (ROOT / "lib" / "ui") not in p.parents]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_no_pages_folder_next_to_home() -> None:
    # A pages/ folder turns Streamlit's legacy routing on until the first st.navigation call: on a fresh
    # server a first visit to /setup would run the page without Home.py, and so without its gate.
    assert not (ROOT / "pages").exists(), "pages/ next to Home.py bypasses the gate: keep pages in app_pages/"


def test_every_page_home_routes_to_is_in_app_pages() -> None:
    pages = [
        node.args[0].value
        for node in ast.walk(ast.parse((ROOT / "Home.py").read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", None) == "Page"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]
    assert pages and all(p.startswith("app_pages/") and (ROOT / p).is_file() for p in pages), pages
    assert sorted(pages) == sorted(f"app_pages/{p.name}" for p in (ROOT / "app_pages").glob("*.py"))


def test_core_and_store_never_import_streamlit_or_lib_ui() -> None:
    offending = {
        str(path.relative_to(ROOT)): sorted(
            n for n in imported_modules(path) if n.split(".")[0] == "streamlit" or n.startswith("lib.ui")
        )
        for path in CORE
    }
    assert {path: names for path, names in offending.items() if names} == {}
