"""Bridge: does this dataset need scikit-learn's simplicity or PyTorch's control?

The public API, for notebooks and other programs (everything else is internal)::

    import bridge
    result = bridge.compare("iris", epochs=30)   # a built-in, a CSV path, an image folder or .zip, bytes or a DataFrame
    result.recommendation["verdict"]             # "sklearn", "pytorch" or "no-signal"
    result.to_dict()                             # the JSON report

- ``compare(data, target=None, **settings) -> Comparison``: both sides on the same split, and the verdict.
- ``load_dataset(source)``: a built-in name, CSV, image folder or zip as a ``Dataset``.
- ``CompareConfig``: every setting of a run, frozen; ``compare`` also takes its fields as flat keywords.
- ``BridgeError``: what bad input raises, with a one-line message that says what to do.

The package is pure Python with no streamlit import; ``bridge.experiment.run_comparison`` is the one orchestrator,
and the CLI (``bridge``, or ``python -m bridge``) and the app call it. Names are imported on first use, so
``import bridge`` stays quick and the CLI starts without loading torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"
__all__ = ["BridgeError", "CompareConfig", "Comparison", "compare", "load_dataset", "__version__"]

if TYPE_CHECKING:
    from bridge.api import compare
    from bridge.comparison import Comparison
    from bridge.config import CompareConfig
    from bridge.errors import BridgeError
    from bridge.io.data import load_dataset

_HOMES = {"compare": "bridge.api", "CompareConfig": "bridge.config", "load_dataset": "bridge.io.data", "BridgeError": "bridge.errors",
          "Comparison": "bridge.comparison"}


def __getattr__(name: str) -> Any:  # PEP 562: the public names, imported when first used
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'bridge' has no attribute '{name}'")
