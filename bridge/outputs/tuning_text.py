"""The "Tuning" block ``python -m bridge compare --tune`` prints after the usual report.

It reads the report's ``tuning`` dict (``Comparison.tuning``, the JSON report's "tuning"): per side, the trials run
(complete and pruned), the best validation score and its settings, the three knobs that mattered most, and the tuned
models' scores on the test rows, and where the Optuna studies were kept. Plain text, no colours: it goes to a terminal or a log alike.
"""

from __future__ import annotations

SIDE_NAMES = {"sklearn": "scikit-learn", "pytorch": "PyTorch"}
TOP_KNOBS = 3


def setting_value(value) -> str:
    """A setting as a reader wants it: floats to 3 significant digits (a learning rate of 0.001078... is 0.00108)."""
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _settings(params: dict) -> str:
    return ", ".join(f"{name} {setting_value(value)}" for name, value in params.items()) or "(none)"


def budget_line(budget: dict) -> str:
    if budget.get("trials"):
        spent = f"{budget['trials']} trials per side"
    else:
        spent = f"{setting_value(float(budget.get('minutes', 0)))} minutes of wall clock, split equally between the sides"
    where = f" on {budget['executor']}" if budget.get("executor") else ""
    return f"{spent}{where}, in batches of {budget.get('batch', '?')}; every trial scored on the validation rows only"


def _side_lines(side: str, tuning: dict, metric: str) -> list[str]:
    trials = [t for t in tuning.get("trials", []) if t["side"] == side]
    complete = sum(t["state"] == "complete" for t in trials)
    seconds = tuning.get("seconds", {}).get(side)
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    lines = [f"  {SIDE_NAMES[side]}: {len(trials)} trials ({complete} complete, {len(trials) - complete} pruned){took}"]
    best = tuning.get("best", {}).get(side)
    if best:
        default = " (the default settings)" if best["number"] == 0 else ""  # trial 0 of each study is the default run's settings
        lines.append(f"    best validation {metric} {best['value']:.3f}, trial {best['number']}{default}: {_settings(best['params'])}")
    shares = sorted(tuning.get("importance", {}).get(side, {}).items(), key=lambda item: -item[1])[:TOP_KNOBS]
    mattered = ", ".join(f"{name} {share:.0%}" for name, share in shares) if shares else "too few finished trials to say"
    lines.append(f"    knobs that mattered most: {mattered}")
    return lines


def tuning_summary(tuning: dict, metric: str) -> str:
    """The block's lines: budget, each side's search, and the tuned scores on the test rows (each side's best, scored once)."""
    lines = ["Tuning", f"  {budget_line(tuning.get('budget', {}))}"]
    for side in SIDE_NAMES:
        lines += _side_lines(side, tuning, metric)
    tested = tuning.get("test", {})
    if tested:
        scores = "; ".join(f"{SIDE_NAMES[side]} {result['name']} {result['metrics'][metric]:.3f}"
                           for side, result in tested.items() if side in SIDE_NAMES)
        lines.append(f"  Tuned on the test rows (each side's best trial refitted, scored once), {metric}: {scores}")
    kept = studies_line(tuning)
    if kept:
        lines.append(f"  {kept}")
    return "\n".join(lines)


def studies_line(tuning: dict) -> str | None:
    """Where the Optuna studies were kept and how to open them again; None when they lived in memory only."""
    storage, names = tuning.get("storage"), tuning.get("studies") or {}
    if not storage or not names:
        return None
    opened = " and ".join(f"optuna.load_study(study_name='{name}', storage=URL)" for name in names.values())
    return f"Optuna studies kept in {storage}: {opened} open them (optuna-dashboard shows them too)"
