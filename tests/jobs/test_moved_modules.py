"""Runs stored before the core's subpackages still load: pickles name classes by their old flat modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# In a fresh interpreter (no alias registered yet): a protocol-0 pickle naming the old module of a class and a function.
SCRIPT = """
import pickle
from bridge.decision.evidence import GapEstimate
from bridge.decision.verdict_text import verdict_name
old = pickle.dumps((verdict_name, GapEstimate), protocol=0)
old = old.replace(b"bridge.decision.verdict_text", b"bridge.verdict_text").replace(b"bridge.decision.evidence", b"bridge.evidence")
assert b"bridge.verdict_text" in old and b"bridge.evidence\\n" in old
try:
    pickle.loads(old)
    print("loaded without aliases")
except ModuleNotFoundError:
    print("refused without aliases")
from bridge.jobs.moved import register_old_names
register_old_names()
function, cls = pickle.loads(old)
print(function is verdict_name, cls is GapEstimate)
"""


def test_a_pickle_naming_the_old_flat_modules_loads_once_the_old_names_are_registered():
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[:2] == ["refused without aliases", "True True"]


def test_every_old_name_points_at_a_module_that_exists():
    from importlib.util import find_spec

    from bridge.jobs.moved import OLD_TO_NEW

    assert len(OLD_TO_NEW) >= 40
    assert all(find_spec(new) is not None for new in OLD_TO_NEW.values())
    # nothing left behind at an old name (checked on disk: a test that loaded a stored run has registered the aliases)
    assert not [old for old in OLD_TO_NEW if (ROOT / "bridge" / f"{old.split('.')[-1]}.py").exists()]
