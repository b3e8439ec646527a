"""Module names from before the core's subpackages, so runs stored by an earlier Bridge still load.

A stored result is a pickle: it names the module of every class in it (``bridge.experiment.Comparison``,
``bridge.classical...``, ``bridge.training.NeuralEstimator``). When the flat modules moved into bridge/io,
bridge/problem, bridge/models, bridge/decision and bridge/outputs, those names went stale; registering each old
name as an alias of its new module lets pickle find the classes where they live now.
"""

from __future__ import annotations

import importlib
import sys

OLD_TO_NEW = {
    **{f"bridge.{name}": f"bridge.io.{name}" for name in ("archive", "csv_reader", "csv_sniff", "text_encoding", "filetype", "images",
                                                        "image_decode", "limits", "data", "synthetic")},
    **{f"bridge.{name}": f"bridge.problem.{name}" for name in ("task", "target_guess", "leakage", "features", "prepare")},
    "bridge.problem": "bridge.problem.table",  # the one module renamed: it may not share its subpackage's name
    **{f"bridge.{name}": f"bridge.models.{name}" for name in ("classical", "image_features", "weighting", "neural", "cnn", "training",
                                                            "optim", "estimators", "estimator_inputs")},
    **{f"bridge.{name}": f"bridge.decision.{name}" for name in ("evaluate", "evidence", "seeds", "size_curves", "recommend",
                                                              "verdict_text")},
    **{f"bridge.{name}": f"bridge.outputs.{name}" for name in ("report", "html_report", "export", "note", "representation", "safe_csv",
                                                             "thumbnails", "atomic", "markdown")},
}


def register_old_names() -> None:
    """Make every old flat module name importable as its new module, for pickles written before the move.

    ``bridge.problem`` is now a package, so the old ``bridge.problem`` module's classes (TableProblem) are reached
    through the package's attribute lookup instead: the package re-exports nothing, and pickles of runs never held
    a TableProblem, so no alias is needed there.
    """
    for old, new in OLD_TO_NEW.items():
        if old != "bridge.problem" and old not in sys.modules:
            sys.modules[old] = importlib.import_module(new)
