"""Hostile text: a 1 MB cell, scripts and emoji side by side, HTML and Markdown in cells, text columns with no words.

Each run goes through ``bridge.compare`` (or the CLI's ``main``) on a tiny table with a small network: whatever the text
holds, the run finishes with a note, or stops with one ``BridgeError`` line; never a traceback.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from files import one_line
from text_data import reviews

import bridge
from bridge.api import load, make_config
from bridge.cli import main
from bridge.io import limits
from bridge.problem.prepare import prepare

SMALL = {"epochs": 3, "repeats": 1, "width": 16, "embedding_dim": 8, "baseline": "linear", "device": "cpu"}

pytestmark = pytest.mark.usefixtures("nothing_escapes", "one_torch_thread")


def text_columns(comparison) -> list[str]:
    return comparison.dataset.get("text_columns", [])


def test_a_1_mb_cell_is_cut_with_a_note_and_the_run_finishes(tmp_path):
    frame = reviews()
    frame.loc[5, "review"] = "great film " * 100_000  # 1.1 MB in one cell of a CSV
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False)
    comparison = bridge.compare(path, **SMALL)
    assert comparison.dataset["kind"] == "text"
    cut = f"column 'review': 1 text value(s) longer than {limits.MAX_TEXT_CHARS:,} characters were cut to their first " \
          f"{limits.MAX_TEXT_CHARS:,} (the longest had 1,100,000)"
    assert cut in comparison.notes
    # The mean words per value is of the cut text: the one long cell adds 20,000 / 5.5 / 80 ≈ 45, not 200,000 / 80 = 2,500.
    words = next(note for note in comparison.notes if note.startswith("column 'review' is free text"))
    assert "(54 words per value on average)" in words
    assert comparison.recommendation["verdict"] in {"sklearn", "pytorch", "no-signal"}


def test_scripts_and_emoji_side_by_side_tokenise_and_run():
    rng = np.random.default_rng(0)
    good, bad = ["отлично", "素晴らしい", "رائع", "😀", "great"], ["ужасно", "最悪", "سيء", "😡", "awful"]
    labels = np.where(np.arange(80) % 2 == 0, "pos", "neg")
    texts = [" ".join(rng.choice(good if label == "pos" else bad, size=6)) + " " + "кино 映画 فيلم" for label in labels]
    comparison = bridge.compare(pd.DataFrame({"review": texts, "label": labels}), **SMALL)
    assert comparison.dataset["kind"] == "text"
    words = set(comparison.arrays().tokenizer.words_)
    assert {"отлично", "ужасно", "رائع", "سيء", "😀", "😡", "素", "悪", "映", "кино", "فيلم"} <= words  # CJK one character a token
    tfidf = dict(comparison.arrays().transform.named_transformers_["text 0"].transformer_list)["review words"].vocabulary_
    assert {"отлично", "رائع", "素晴らしい"} <= set(tfidf)  # scikit-learn's own word pattern keeps a run of CJK as one word
    assert comparison.models["sklearn"].metrics["accuracy"] == 1.0  # the words give the label away


def test_html_and_markdown_in_cells_stay_data_verbatim():
    hostile = ['<script>alert("x")</script> great', "**bold** [link](javascript:alert(1)) awful", "<img src=x onerror=alert(1)> nice",
               "# heading\n\n| a | b |\n|---|---| poor", "&lt;b&gt; &amp; {{ template }} ${HOME} great"]
    frame = reviews()
    frame["review"] = [f"{hostile[i % len(hostile)]} {text}" for i, text in enumerate(frame["review"])]
    comparison = bridge.compare(frame, **SMALL)
    original = comparison.arrays().original["review"]
    assert original.tolist() == frame["review"].tolist()  # not escaped, stripped or rendered
    predictions = comparison.predictions_frame()
    assert len(predictions) > 0
    assert predictions["feature: review"].tolist() == frame["review"].iloc[predictions["row"]].tolist()
    errors = comparison.to_dict()["errors"]
    assert len(errors) > 0  # PyTorch after 3 epochs still misses rows
    assert all(row["feature: review"] == frame["review"].iloc[row["row"]] for row in errors)


def test_an_empty_text_column_is_left_out_with_a_note(tmp_path):
    frame = reviews(stars=True).assign(notes="")
    path = tmp_path / "blank.csv"
    frame.to_csv(path, index=False)
    for chosen in (None, ["review", "notes"]):  # found, or marked as text by the user
        comparison = bridge.compare(path, text_columns=chosen, **SMALL)
        assert "column 'notes' left out: every value is missing" in comparison.notes
        assert text_columns(comparison) == ["review"]


NO_WORDS = "left out: it holds no word of two or more letters or digits to read as text (only blanks, punctuation or single characters)"


@pytest.mark.parametrize("values", [["   ", "\t", " \n "], ["!!!", "?", "...", "😀"], ["a b", "c", "x y z"]],
                         ids=["whitespace", "punctuation-and-emoji", "single-letters"])
def test_a_marked_text_column_with_no_words_is_left_out_with_a_note(values):
    frame = reviews(stars=True)
    frame["blank"] = [values[i % len(values)] for i in range(len(frame))]
    comparison = bridge.compare(frame, target="label", text_columns=["review", "blank"], **SMALL)
    assert f"column 'blank' {NO_WORDS}" in comparison.notes
    assert text_columns(comparison) == ["review"]
    alone = bridge.compare(frame.drop(columns="review"), target="label", text_columns=["blank"], **SMALL)  # stars is left
    assert f"column 'blank' {NO_WORDS}" in alone.notes and text_columns(alone) == [] and alone.dataset["kind"] == "table"
    with pytest.raises(bridge.BridgeError) as info:  # nothing else to learn from
        bridge.compare(frame[["blank", "label"]], target="label", text_columns=["blank"], **SMALL)
    assert "no usable feature columns are left" in one_line(info)


def test_words_only_outside_the_training_rows_leave_the_column_out():
    frame = reviews(stars=True).assign(hint="")
    config = make_config(text_columns=["review", "hint"], **SMALL)
    train = prepare(load(frame.assign(hint="x")), config).split.train  # the split depends on the labels and seed alone
    frame.loc[~frame.index.isin(frame.index[train]), "hint"] = "spoiler words here"
    prepared = prepare(load(frame), config)
    assert "column 'hint' left out as text: its training rows hold no word of two or more letters or digits (only blanks, " \
           "punctuation or single characters), so TF-IDF has nothing to count" in prepared.notes
    assert prepared.traits["text_columns"] == ["review"]
    with pytest.raises(bridge.BridgeError) as info:
        prepare(load(frame[["hint", "label"]]), make_config(text_columns=["hint"], **SMALL))
    assert "the text column(s) 'hint' hold no words in the training rows" in one_line(info)


def test_the_cli_says_so_in_a_note_never_a_traceback(tmp_path, capsys):
    frame = reviews(stars=True).assign(marks=lambda f: np.where(np.arange(len(f)) % 2 == 0, "!", "?"))
    path = tmp_path / "marks.csv"
    frame.to_csv(path, index=False)
    code = main(["compare", str(path), "--text-columns", "review,marks", "--epochs", "2", "--repeats", "1", "--width", "8",
                 "--embedding-dim", "8", "--baseline", "linear", "--quiet"])
    captured = capsys.readouterr()
    assert code == 0 and captured.err == "", captured.err
    assert f"column 'marks' {NO_WORDS}" in captured.out
