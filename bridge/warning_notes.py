"""Library warnings as notes of a run: counted per distinct message, named by the library that raised them.

The CLI promises at most one error line on stderr, and a note is where the user reads about the data; so
``experiment.run_comparison`` routes numpy, pandas, scikit-learn and PyTorch warnings here instead of stderr.
"""

from __future__ import annotations

from collections import Counter
from typing import TextIO

WARNING_NOTES = 8  # distinct library warnings kept as notes of one run; any more are counted in one line
# Warnings about Bridge's own use of an API, not about the user's data: dropped, as Python hides them by default.
_DEVELOPER_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
_LIBRARIES = {"sklearn": "scikit-learn", "numpy": "numpy", "pandas": "pandas", "torch": "PyTorch", "scipy": "SciPy"}


def _warned_by(category: type[Warning], message: Warning | str, filename: str) -> str:
    """The library a warning came from: by the file that raised it, else by the warning's own module."""
    path = filename.replace("\\", "/")
    for package, name in _LIBRARIES.items():
        if f"/{package}/" in path:
            return name
    package = type(message).__module__.split(".")[0]
    if package in _LIBRARIES:
        return _LIBRARIES[package]
    return "numpy" if issubclass(category, RuntimeWarning) else "a library"  # numpy's floating-point warnings name the caller


class WarningTally:
    """Stands in for ``warnings.showwarning``: counts each distinct warning (memory stays small however many fire)."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()  # insertion-ordered: first seen first

    def __call__(self, message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: TextIO | None = None, line: str | None = None) -> None:
        if not issubclass(category, _DEVELOPER_WARNINGS):
            text = " ".join(str(message).split())
            self.counts[(_warned_by(category, message, filename), text[:200] + ("..." if len(text) > 200 else ""))] += 1

    def notes(self) -> list[str]:
        """One line per distinct warning: 'scikit-learn warned: ... (3 times)'."""
        notes = [f"{source} warned: {text}" + (f" ({n} times)" if n > 1 else "") for (source, text), n in self.counts.items()]
        if len(notes) > WARNING_NOTES:
            notes = notes[:WARNING_NOTES] + [f"and {len(notes) - WARNING_NOTES} more kind(s) of warning"]
        return notes
