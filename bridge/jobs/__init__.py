"""Runs as jobs: each comparison is a row in a store and a process of its own, never work inside a page.

``RunStore`` keeps runs (settings, state, progress, epochs, report, result files) under
``BRIDGE_HOME``; ``LocalExecutor`` starts queued runs as ``bridge.jobs.worker`` processes, a
bounded number at a time, each with its share of the cores. The app submits and polls; the CLI
lists what is stored (``python -m bridge runs``).
"""

from bridge.jobs.local import LocalExecutor, training_limit, wait
from bridge.jobs.store import ACTIVE, CANCELLED, DONE, FAILED, FINISHED, QUEUED, RUNNING, Run, RunStore, default_home

__all__ = ["ACTIVE", "CANCELLED", "DONE", "FAILED", "FINISHED", "QUEUED", "RUNNING", "LocalExecutor", "Run", "RunStore",
           "default_home", "training_limit", "wait"]
