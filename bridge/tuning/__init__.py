"""Tuning both sides with the same budget (issue #12): search spaces, the Optuna driver, trials, and where they run.

``spaces`` says what each side may change; ``study`` asks Optuna for settings and tells it the validation scores;
``trial`` trains one trial wherever it runs, without the test rows; ``executors`` runs batches of trials on a local
process pool or a Dask distributed cluster. ``bridge.experiment`` calls ``study.tune`` when a run asks for tuning and
scores each side's best trial on the test rows once.
"""
