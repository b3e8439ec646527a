"""``python -m bridge.bench``, the command the tuning issue names, opens the benchmarks of a checkout and says where they
are from an installed copy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import bridge.bench

ROOT = Path(__file__).resolve().parents[1]


def test_from_a_checkout_it_is_the_benchmarks_own_command():
    shown = subprocess.run([sys.executable, "-m", "bridge.bench", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "--tune" in shown.stdout and "usage: python -m benchmarks.bench" in shown.stdout


def test_without_the_benchmarks_folder_it_says_where_they_are_in_one_line(monkeypatch, capsys):
    def missing(name):
        raise ModuleNotFoundError(f"No module named '{name}'", name=name)

    monkeypatch.setattr(bridge.bench.importlib, "import_module", missing)
    assert bridge.bench.main(["--tune"]) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "benchmarks/ folder" in error
