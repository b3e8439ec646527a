"""The templates the exported scripts are made from, and the helpers that fill them in.

``template`` reads a file of ``templates/`` as a ``string.Template``; ``sections`` reads a file of named
variants (``# ---- name`` lines) for the spots where a script differs by kind of data. ``literal`` turns
plain data into a Python literal: every value from the user's data (column names, labels) goes through it,
so it stays a string literal and can never become code. ``setting_lines`` and ``import_lines`` write a
script's settings and import blocks. Shared by ``bridge.outputs.scripts`` and ``bridge.outputs.text_scripts``.
"""

from __future__ import annotations

import pprint
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).resolve().parent / "templates"
SCRIPT_TEMPLATES = {"train_sklearn.py.txt", "train_pytorch.py.txt", "predict_sklearn.py.txt"}
SECTION = "# ---- "  # starts a named variant in a sections file, e.g. "# ---- table"


def template(name: str) -> Template:
    """A template; fragments (every file but the scripts) lose their edge newlines, the scripts space them."""
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    return Template(text if name in SCRIPT_TEMPLATES else text.strip("\n"))


def sections(name: str) -> dict[str, str]:
    """A sections file's variants by name, each without its edge newlines."""
    parts = (TEMPLATES / name).read_text(encoding="utf-8").split(SECTION)[1:]
    return {title.strip(): body.strip("\n") for title, body in (part.split("\n", 1) for part in parts)}


def literal(value) -> str:
    """A Python literal for plain data (user strings included): repr, wrapped to stay readable."""
    return pprint.pformat(value, width=110, sort_dicts=False)


def setting_lines(items: list[tuple[str, str, str]]) -> str:
    """``NAME = code  # why`` lines; the code is either a literal from literal or fixed text. Long ones get the comment above."""
    lines = []
    for name, code, why in items:
        line = f"{name} = {code}"
        if why and ("\n" in code or len(line) + len(why) > 144):
            lines += [f"# {why}", line]
        else:
            lines.append(line + (f"  # {why}" if why else ""))
    return "\n".join(lines)


def _merged(lines: list[str]) -> list[str]:
    """One ``from module import a, B`` line per module, names in ruff's order (constants, classes, then the rest); aliased lines as they are."""
    names: dict[str, set[str]] = {}
    kept = []
    for line in lines:
        if line.startswith("from ") and " as " not in line:
            module, imported = line.removeprefix("from ").split(" import ")
            names.setdefault(module, set()).update(name.strip() for name in imported.split(","))
        else:
            kept.append(line)

    def order(name: str):
        return (0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2), name

    return sorted(set(kept)) + [f"from {module} import {', '.join(sorted(imported, key=order))}" for module, imported in names.items()]


def import_lines(stdlib: list[str], third_party: list[str]) -> str:
    """Import blocks sorted as isort (and ruff) sort them: plain imports first, then from-imports, by module."""
    def key(line: str):
        return line.startswith("from "), line.split()[1].lower(), line

    return "\n\n".join(["from __future__ import annotations", "\n".join(sorted(_merged(stdlib), key=key)),
                       "\n".join(sorted(_merged(third_party), key=key))])
