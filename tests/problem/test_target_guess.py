"""target_guess: which column is the question, why, and when to ask; its first CLI line and its question on the Data page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_app_support import go, navigation_as_served, new_app, regression_csv, table_csv, texts, upload

from bridge.cli import EXIT_BAD_INPUT, main
from bridge.errors import BridgeError
from bridge.io.csv_reader import parse_csv
from bridge.io.data import DATA_DIR, load_csv
from bridge.problem import target_guess
from bridge.problem.target_guess import suggest_target, why_not_a_target

ROWS = 60
FAST = ["--epochs", "2", "--repeats", "1", "--width", "8", "--hidden-layers", "1", "--baseline", "linear", "--quiet"]


def features(rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    """Two measurements and a colour: columns no one would call a target."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"width": rng.normal(size=rows).round(3), "height": rng.normal(size=rows).round(3),
                         "colour": rng.choice(["red", "green", "blue"], size=rows)})


def penguins_species_first() -> pd.DataFrame:
    frame = parse_csv(DATA_DIR / "penguins.csv")[0]
    return frame[["species", *[c for c in frame.columns if c not in ("species", "year")], "year"]]


# -- code: the guess ---------------------------------------------------------------------------------------------------


def test_penguins_with_species_first_and_year_last_proposes_species():
    frame = penguins_species_first()
    assert (frame.columns[0], frame.columns[-1]) == ("species", "year")
    guess = suggest_target(frame)
    assert (guess.column, guess.weak) == ("species", False)
    assert guess.reason == "'species' looks like the target: a label-like name, 3 classes."
    assert why_not_a_target("year", frame["year"]) == "a date part"  # 2007-2009: three whole numbers that are years


UNNAMED = {  # columns that must never be the target, each placed last, where the old default would have taken it
    "customer_id": ("an ID", [f"C{i:04d}" for i in range(ROWS)]),
    "row": ("an ID", list(range(1, ROWS + 1))),
    "signup_date": ("a date", pd.date_range("2020-01-01", periods=ROWS).strftime("%Y-%m-%d").tolist()),
    "when": ("a date", pd.date_range("2020-01-01", periods=ROWS, freq="h").strftime("%d/%m/%Y %H:%M").tolist()),
    "year": ("a date part", [2007, 2008, 2009] * (ROWS // 3)),
    "season": ("a date part", [1998, 1999] * (ROWS // 2)),  # years by content, whatever the name
    "month": ("a date part", [1 + i % 12 for i in range(ROWS)]),
    "weekday": ("a date part", ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] * (ROWS // 6)),
    "comment": ("free text", [f"the customer wrote {i} long words here" for i in range(ROWS)]),
    "constant": ("a single value", ["same"] * ROWS),
}


@pytest.mark.parametrize("name", list(UNNAMED))
def test_an_id_a_date_a_date_part_free_text_or_a_constant_is_never_proposed(name):
    why, values = UNNAMED[name]
    frame = features().assign(**{name: values})
    assert why_not_a_target(name, frame[name]) == why
    assert suggest_target(frame).column != name


@pytest.mark.parametrize("position", [0, 2, 4])
@pytest.mark.parametrize("name", ["label", "Churn", "is_fraud", "y"])
def test_a_label_named_column_is_chosen_wherever_it_is(name, position):
    frame = features().assign(amount_paid=np.arange(ROWS) * 1.5)
    frame.insert(position, name, ["yes", "no", "no"] * (ROWS // 3))
    guess = suggest_target(frame)
    assert (guess.column, guess.weak) == (name, False)
    assert guess.evidence.startswith("a label-like name") and "2 classes" in guess.evidence


def test_a_label_named_column_stays_the_guess_when_unusable_so_the_refusal_names_it():
    assert suggest_target(features().assign(y="same")).column == "y"  # "target 'y' has a single class" beats predicting 'width'
    many = features(rows=600).assign(label=[f"c{i % 300}" for i in range(600)])
    assert suggest_target(many) == target_guess.TargetGuess("label", "a label-like name, the last column, 300 classes")


def test_a_price_is_a_regression_target_by_its_name():
    frame = features().assign(price=np.linspace(10, 90, ROWS), size=np.linspace(1, 2, ROWS))
    guess = suggest_target(frame)
    assert (guess.column, guess.weak) == ("price", False)
    assert guess.evidence == "a name like a quantity to predict, numeric values"


def test_an_all_numeric_file_without_a_label_like_name_is_weak():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(ROWS, 4)), columns=["a", "b", "c", "d"])
    guess = suggest_target(frame)
    assert (guess.column, guess.weak) == ("d", True)  # the last column keeps its preference, but Bridge asks
    assert guess.reason == "'d' is only a guess: the last column, numeric values, and no column has a label-like name."


def test_a_last_column_of_few_classes_is_sure_only_when_no_other_column_has_few_classes():
    alone = features().drop(columns="colour").assign(weather=["sun", "rain", "fog"] * (ROWS // 3))
    assert suggest_target(alone) == target_guess.TargetGuess("weather", "the last column, 3 classes", weak=False)
    assert suggest_target(features().assign(weather=alone["weather"])).weak  # 'colour' could be the question too


def test_a_file_sorted_by_its_label_is_judged_on_random_rows_not_its_top(monkeypatch):
    monkeypatch.setattr(target_guess, "GUESS_SAMPLE_ROWS", 30)
    frame = features(rows=300).assign(kind=np.repeat(["a", "b", "c"], 100))  # the first 30 rows hold one class
    assert suggest_target(frame).column == "kind"


def test_a_wide_file_is_judged_on_a_few_columns(monkeypatch):
    read = []
    judge = target_guess._candidate
    monkeypatch.setattr(target_guess, "_candidate", lambda *args: read.append(args[0]) or judge(*args))
    rng = np.random.default_rng(2)
    wide = pd.DataFrame(rng.normal(size=(40, 3_000)), columns=[f"c{i}" for i in range(3_000)])
    assert suggest_target(wide).column == "c2999" and read == ["c2999"]
    read.clear()
    assert suggest_target(wide.assign(constant=1.0)).weak and len(read) == target_guess.MAX_COLUMNS_READ


def test_the_data_files_keep_a_sensible_target():
    assert (load_csv(DATA_DIR / "penguins.csv").target_guess.column, load_csv(DATA_DIR / "penguins.csv").target_guess.weak) == ("species", False)
    weather = load_csv(DATA_DIR / "seattle_weather.csv")
    assert (weather.default_target, weather.target_guess.weak) == ("weather", False)
    cars = load_csv(DATA_DIR / "cars.csv")  # a number last and a class-like 'Origin' in the middle: asked, not assumed
    assert (cars.default_target, cars.target_guess.weak) == ("Miles_per_Gallon", True)


def test_a_one_column_table_is_its_own_target_without_a_question():
    assert suggest_target(pd.DataFrame({"v": [1, 2, 3]})) == target_guess.TargetGuess("v", "the only column", weak=False)


# -- the command line's first line -------------------------------------------------------------------------------------


@pytest.fixture
def stop_before_training(monkeypatch):
    """The first line is printed before any model is fitted: stop there, as a bad option found later would."""
    def stop(*args, **kwargs):
        raise BridgeError("stopped before training")

    monkeypatch.setattr("bridge.experiment.run_comparison", stop)


def test_cli_first_line_names_the_guessed_target_and_why(tmp_path, capsys, stop_before_training):
    path = tmp_path / "species_first.csv"
    penguins_species_first().to_csv(path, index=False)
    assert main(["compare", str(path), *FAST]) == EXIT_BAD_INPUT
    assert capsys.readouterr().out.splitlines() == ["target: species (a label-like name, 3 classes); pass --target to choose another"]


def test_cli_first_line_says_a_passed_target_was_chosen(tmp_path, capsys, stop_before_training):
    path = tmp_path / "species_first.csv"
    penguins_species_first().to_csv(path, index=False)
    assert main(["compare", str(path), "--target", "island", *FAST]) == EXIT_BAD_INPUT
    assert capsys.readouterr().out.splitlines() == ["target: island (chosen with --target)"]
    assert main(["compare", "iris", *FAST]) == EXIT_BAD_INPUT
    assert capsys.readouterr().out.splitlines() == ["target: species (the dataset's own target); pass --target to choose another"]


def test_cli_says_a_weak_guess_is_a_guess_first_then_runs(tmp_path, capsys):
    path = tmp_path / "numbers.csv"
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(ROWS, 3)), columns=["a", "b", "c"])
    frame.assign(d=frame["a"] + frame["b"]).to_csv(path, index=False)
    assert main(["compare", str(path), *FAST]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "target: d (a guess: the last column, numeric values, and no column has a label-like name); pass --target to choose another"
    assert any("task regression, target 'd'" in line for line in out[1:])


# -- the app: asked on Data, Run waits on Train -----------------------------------------------------------------------


def numbers_csv() -> bytes:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(120, 2)).round(3)
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": (x[:, 0] - x[:, 1]).round(3)}).to_csv(index=False).encode()


def target_box(at):
    return next(box for box in at.selectbox if box.label == "Target column (what to predict)")


def run_button(at):
    return next(b for b in at.button if b.label == "Run")


@pytest.fixture
def served(monkeypatch):
    navigation_as_served(monkeypatch)


def test_app_asks_about_a_weak_guess_and_run_waits_for_an_answer(served):
    at = upload(new_app(), "numbers.csv", numbers_csv())
    [warning] = texts(at.warning)
    assert warning.startswith("Which column should Bridge predict? 'c' is only a guess: the last column")
    assert target_box(at).value == "c" and "Use this target" in [b.label for b in at.button]
    go(at, "train")
    assert run_button(at).disabled
    assert "Run waits for the target: Bridge only guessed 'c'; confirm it or pick another on the Data page." in texts(at.warning)

    go(at, "data")
    next(b for b in at.button if b.label == "Use this target").click().run()
    assert not at.warning and at.session_state["bridge.target"] == "c"  # the guess, now confirmed
    go(at, "train")
    assert not run_button(at).disabled and not at.warning


def test_app_choosing_a_column_answers_the_question(served):
    at = upload(new_app(), "numbers.csv", numbers_csv())
    target_box(at).set_value("a").run()
    assert not at.warning and at.session_state["bridge.target"] == "a"
    assert "Your choice; Bridge guessed 'c'." in texts(at.caption)
    target_box(at).set_value("c").run()  # back to the guess: chosen, so no longer a question
    assert not at.warning
    go(at, "train")
    assert not run_button(at).disabled


@pytest.mark.parametrize(("name", "data", "target", "reason"), [
    ("labels.csv", table_csv(), "label", "'label' looks like the target: a label-like name, the last column, 2 classes."),
    ("prices.csv", regression_csv(), "price", "'price' looks like the target: a name like a quantity to predict, the last column, numeric values."),
])
def test_app_shows_why_for_a_sure_guess_and_asks_nothing(served, name, data, target, reason):
    at = upload(new_app(), name, data)
    assert target_box(at).value == target and reason in texts(at.caption)
    assert not at.warning
    go(at, "train")
    assert not run_button(at).disabled and not at.warning
