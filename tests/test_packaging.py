"""The installable library: pyproject in step with requirements.txt, and a wheel that runs outside the repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import bridge

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _pins() -> dict[str, str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    pins = [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]
    return {pin.name.lower(): next(iter(pin.specifier)).version for pin in pins}


def test_every_pin_in_requirements_is_a_dependency_whose_range_holds_it():
    declared = {req.name.lower(): req.specifier for req in map(Requirement, PYPROJECT["project"]["dependencies"])}
    pins = _pins()
    assert set(declared) == set(pins)
    for name, version in pins.items():
        assert declared[name].contains(version), f"{name}=={version} is outside pyproject's {declared[name]}"


def test_every_package_of_the_library_is_listed_and_the_version_agrees():
    found = {".".join(path.parent.relative_to(ROOT).parts) for path in (ROOT / "bridge").rglob("__init__.py")}
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert found <= listed and listed - found == {"bridge.builtin_data"}
    assert PYPROJECT["project"]["version"] == bridge.__version__
    assert PYPROJECT["project"]["scripts"]["bridge"] == "bridge.cli:main"


@pytest.mark.slow
def test_the_wheel_installs_in_a_fresh_venv_and_runs_without_the_repository(tmp_path):
    wheels, venv, elsewhere = tmp_path / "wheels", tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = lambda *args, **kw: subprocess.run(args, capture_output=True, text=True, timeout=900, check=True, **kw)  # noqa: E731
    run(sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(wheels))
    wheel = next(wheels.glob("bridge-*.whl"))
    run(sys.executable, "-m", "venv", str(venv))
    # The exact pins first (what CI and the app use; pip's cache makes this quick), then the wheel against them.
    run(str(venv / "bin" / "pip"), "install", "-q", "-r", str(ROOT / "requirements.txt"), str(wheel))
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"} | {"BRIDGE_HOME": str(tmp_path / "home")}
    where = run(str(venv / "bin" / "python"), "-c", "import bridge; print(bridge.__file__)", cwd=elsewhere, env=env).stdout
    assert str(venv) in where  # the installed copy, not the repository's
    datasets = run(str(venv / "bin" / "bridge"), "datasets", cwd=elsewhere, env=env).stdout
    assert "penguins" in datasets and "shapes" in datasets  # package data: the CSVs and the image folder came along
    compare = run(str(venv / "bin" / "bridge"), "compare", "penguins", "--epochs", "2", "--repeats", "1", "--quiet", cwd=elsewhere, env=env)
    assert "Recommendation:" in compare.stdout
    verdict = run(str(venv / "bin" / "python"), "-c",
                  "import bridge; print(bridge.compare('iris', epochs=2, repeats=1).recommendation['verdict'])", cwd=elsewhere, env=env)
    assert verdict.stdout.strip() in {"sklearn", "pytorch", "no-signal"}


def test_the_readme_layout_names_every_part_of_the_core_and_nothing_that_is_gone():
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout"):]
    layout = layout[layout.index("```") + 3:]
    layout = layout[:layout.index("```")]
    parts = {p.name + ("/" if p.is_dir() else "") for p in (ROOT / "bridge").iterdir() if p.name != "__pycache__"}
    named = set(re.findall(r"\b([a-z_]+(?:\.py|/))", layout))
    assert parts <= named, f"missing from the README's Layout: {sorted(parts - named)}"
    existing = {p.name + ("/" if p.is_dir() else "") for p in ROOT.rglob("*") if ".venv" not in p.parts and ".git" not in p.parts}
    gone = sorted(name for name in named if name not in existing and name != "builtin_data/")  # shipped name of data/
    assert not gone, f"the README's Layout names what is not there: {gone}"
    for sub in ("io", "problem", "models", "decision", "outputs", "jobs"):
        assert (ROOT / "bridge" / sub / "__init__.py").read_text().startswith('"""'), f"bridge/{sub} says what it owns"
