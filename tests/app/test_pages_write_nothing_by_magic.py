"""The pages draw only what they call: no bare expression that Streamlit's "magic" would print onto the page.

A conditional like ``left.dataframe(x) if x else left.caption("none")`` is an expression statement whose
value (a DeltaGenerator) magic writes out, docstring and all. .streamlit/config.toml turns magic off;
this test keeps the code free of such statements wherever the app runs with another configuration.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bare_expressions(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Expr) or isinstance(node.value, (ast.Call, ast.Await)):
            continue
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue  # a docstring: magic leaves those alone by default
        found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_page_has_a_bare_expression_that_magic_would_print():
    sources = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    assert len(sources) >= 8
    assert [place for path in sources for place in bare_expressions(path)] == []


def test_the_check_finds_the_statement_that_once_printed_a_docstring(tmp_path):
    page = tmp_path / "page.py"
    page.write_text('"""A page."""\nleft.dataframe(diff) if diff else left.caption("Same settings.")\n', encoding="utf-8")
    assert bare_expressions(page) == ["page.py:2"]
