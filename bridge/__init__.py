"""Bridge: does this dataset need scikit-learn's simplicity or PyTorch's control?

The core package: pure Python, no streamlit. ``bridge.experiment.run_comparison``
is the one orchestrator; the CLI (``python -m bridge``) and the app call it.
"""

__version__ = "0.1.0"
