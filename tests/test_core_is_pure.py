"""The core package never needs streamlit: the CLI and tests run it without a UI."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "bridge"
MODULES = sorted(CORE.rglob("*.py"))


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):  # walks into functions too: a lazy import counts
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_core_has_modules_to_check():
    names = {path.name for path in MODULES}
    assert {"experiment.py", "cli.py", "training.py", "csv_reader.py"} <= names


def test_the_import_scanner_sees_lazy_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\n\ndef f():\n    import streamlit as st\n    from streamlit.runtime import x\n")
    assert _imported_modules(sample) == {"os", "streamlit", "streamlit.runtime"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_core_module_imports_streamlit(path):
    roots = {name.split(".")[0] for name in _imported_modules(path)}
    assert "streamlit" not in roots


def test_importing_the_orchestrator_does_not_load_streamlit():
    code = "import sys, bridge.experiment, bridge.cli, bridge.outputs.report; print('streamlit' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
