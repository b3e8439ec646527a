"""Text in the app (AppTest): the Data page's text role and "Text columns" control, the Train page's text network, and
the Errors page showing each wrong row's words as plain text.

The data is a tiny review CSV made here: a "review" of 5-12 words drawn from a good and a bad word pool plus filler,
a "label" with some noise (so both sides get rows wrong), and optionally a number and a colour beside the text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest
from test_app_support import (
    APP,
    SCORE,
    TINY,
    click_run,
    go,
    metric_values,
    new_app,
    runs_made,
    set_settings,
    shown_comparison,
    texts,
    upload,
    widget,
)

from pages.views import TEXT_ROLE, text_for_display

MARKUP = "<b>bold</b> **not bold**"  # a person typed this; the app must show these very characters, never bold ones
GOOD = ["great", "lovely", "excellent", "happy", "superb", "brilliant", "enjoyed", "recommend"]
BAD = ["awful", "broken", "terrible", "sad", "poor", "boring", "refund", "worst"]
FILLER = ["the", "a", "product", "it", "was", "and", "very", "delivery", "box", "item"]
TEXT_TINY = {"Width (units per layer)": 8, "Epochs (at most)": 3, "Batch size": 32, "Baseline": "linear", "Text encoder": "bag",
             "Embedding size (numbers per word)": 16, "Hidden layers (text network)": 0, "Max tokens per row": 16}


def reviews(rows: int = 100, seed: int = 0, mixed: bool = False) -> pd.DataFrame:
    """Reviews whose words lean to their label's pool; a tenth of the labels flipped; every fifth review opens with MARKUP."""
    rng = np.random.default_rng(seed)
    label = rng.choice(["good", "bad"], size=rows)
    texts_ = []
    for i, kind in enumerate(label):
        own, other = (GOOD, BAD) if kind == "good" else (BAD, GOOD)
        pools = rng.choice(3, size=rng.integers(5, 13), p=[0.35, 0.1, 0.55])
        words = [str(rng.choice((own, other, FILLER)[p])) for p in pools]
        texts_.append((MARKUP + " " if i % 5 == 0 else "") + " ".join(words))
    flipped = rng.random(rows) < 0.1
    label = np.where(flipped, np.where(label == "good", "bad", "good"), label)
    frame = pd.DataFrame({"review": texts_, "label": label})
    if mixed:
        frame.insert(1, "price", rng.normal(50, 10, size=rows).round(2))
        frame.insert(2, "colour", rng.choice(["red", "green", "blue"], size=rows))
    return frame


def csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def roles(at: AppTest) -> dict[str, str]:
    """The Data page's column summary as column -> role."""
    summary = next(d.value for d in at.dataframe if "role" in d.value.columns)
    return dict(zip(summary["column"], summary["role"]))


def text_control(at: AppTest):
    [control] = [m for m in at.multiselect if m.label == "Text columns"]
    return control


def labels_on_train(at: AppTest) -> set[str]:
    return {w.label for kind in (at.slider, at.select_slider, at.selectbox, at.radio) for w in kind}


def test_a_text_csv_shows_its_text_role_and_starts_with_the_detected_column():
    at = upload(new_app(), "reviews.csv", csv(reviews()))
    assert texts(at.success) == ["Loaded reviews.csv."]
    assert roles(at) == {"review": TEXT_ROLE, "label": "target"}
    assert text_control(at).value == ["review"]
    assert at.session_state["bridge.text_columns"] is None  # the default: auto detection, so a run's settings stay short
    assert not at.error


def test_text_off_says_why_in_one_line_and_back_on_trains_the_text_network():
    at = upload(new_app(), "reviews.csv", csv(reviews()))
    text_control(at).set_value([]).run()
    [error] = texts(at.error)
    assert error.startswith("With these text columns a run cannot start: no usable feature columns are left") and "\n" not in error
    assert roles(at)["review"].startswith("left out: it is free text") and roles(at)["review"].endswith("switched off as a text feature")
    assert at.session_state["bridge.text_columns"] == ()

    go(at, "train")
    assert "Network" not in labels_on_train(at) and "Hidden layers (MLP)" in labels_on_train(at)  # no text: the MLP's form
    click_run(set_settings(at, TINY))
    [stopped] = [e for e in texts(at.error) if e.startswith("The run stopped")]
    assert "no usable feature columns are left" in stopped and stopped.endswith("Earlier results are kept.") and "\n" not in stopped
    assert [r.state for r in runs_made(at)] == ["failed"] and at.session_state["bridge.dataset"].name == "reviews.csv"

    go(at, "data")
    assert text_control(at).value == []  # the choice was kept across pages
    text_control(at).set_value(["review"]).run()
    assert at.session_state["bridge.text_columns"] is None and roles(at)["review"] == TEXT_ROLE and not at.error

    go(at, "train")
    shown = labels_on_train(at)
    assert widget(at, "Network").value == "text" and "Hidden layers (MLP)" not in shown
    assert {"Text encoder", "Embedding size (numbers per word)", "Hidden layers (text network)", "Max tokens per row"} <= shown
    assert "gradient_boosting" not in widget(at, "Baseline").options  # its trees cannot read sparse TF-IDF columns
    click_run(set_settings(at, TEXT_TINY))
    assert [r.state for r in runs_made(at)] == ["failed", "done"]
    config = runs_made(at)[-1].config
    assert (config.network, config.text_columns, config.text.embedding_dim, config.text.layers, config.text.max_tokens) == ("text", None, 16, 0, 16)
    assert SCORE.match(metric_values(at)["PyTorch: PyTorch TEXT"])

    go(at, "compare")
    assert SCORE.match(metric_values(at)["PyTorch: PyTorch TEXT"]) and not at.error


def test_errors_show_each_wrong_rows_text_as_plain_text_with_its_labels():
    frame = reviews()
    at = upload(new_app(), "reviews.csv", csv(frame))
    go(at, "train")
    click_run(set_settings(at, TEXT_TINY))
    comparison = shown_comparison(at)
    go(at, "errors")
    wrong = at.dataframe[0].value
    assert len(wrong) > 0 and list(wrong.columns[:5]) == ["row", "true", "sklearn", "pytorch", "feature: review"]
    assert list(wrong["feature: review"]) == list(frame.loc[wrong["row"], "review"])  # short texts: shown whole, character for character
    assert not (wrong["sklearn_correct"] & wrong["pytorch_correct"]).any()

    widget(at, "Show").set_value("every test row")
    at.run()
    every = at.dataframe[0].value
    assert len(every) == comparison.split["test"]
    marked = every[every["feature: review"].str.startswith(MARKUP)]
    assert len(marked) > 0  # every fifth review carries the markup; some of them are test rows

    row = int(marked["row"].iloc[0])
    next(s for s in at.selectbox if s.label == "Row").set_value(row).run()
    assert frame.loc[row, "review"] in [t.value for t in at.text]  # the picked row's whole text, in a plain-text element
    sources = [e.value for kind in ("markdown", "caption", "info", "error", "warning") for e in at.get(kind)]
    assert not [s for s in sources if "**not bold**" in s or "<b>" in s]  # never handed to Markdown unescaped


def test_long_text_is_cut_for_the_table_and_kept_whole_in_the_rows():
    table = pd.DataFrame({"row": [0, 1], "true": ["a", "b"], "sklearn": ["b", "b"], "pytorch": ["a", "a"], "sklearn_correct": [False, True],
                          "feature: note": ["word " * 100, "short"], "feature: n": [1, 2]})
    shown = text_for_display(table, ["note"], limit=20)
    assert list(shown.columns) == ["row", "true", "sklearn", "pytorch", "feature: note", "sklearn_correct", "feature: n"]
    assert shown["feature: note"].tolist() == [("word " * 4).strip() + "…", "short"] and len(shown["feature: note"][0]) <= 20
    assert table["feature: note"][0] == "word " * 100  # the page's download is the frame it was given, whole
    assert text_for_display(table, []) is table


def test_the_packages_builtin_shows_its_text_role_and_the_text_network():
    at = new_app()
    at.selectbox[0].set_value("packages")
    next(b for b in at.button if b.label == "Use this dataset").click().run()
    assert not at.exception and texts(at.subheader)[0] == "packages"
    assert roles(at) == {"description": TEXT_ROLE, "section": "target"} and text_control(at).value == ["description"]
    go(at, "train")
    assert widget(at, "Network").value == "text" and "text columns **description**" in texts(at.caption)[0]


def test_a_mixed_csv_shows_both_roles_and_a_column_marked_as_text_joins_the_run():
    at = upload(new_app(), "mixed.csv", csv(reviews(mixed=True)))
    assert roles(at) == {"review": TEXT_ROLE, "price": "numeric", "colour": "category", "label": "target"}
    assert text_control(at).options == ["review", "colour"]  # text-typed columns only: a number is never read as words
    text_control(at).set_value(["colour", "review"]).run()
    assert at.session_state["bridge.text_columns"] == ("review", "colour")  # the table's order, whatever the order picked
    assert roles(at)["colour"] == TEXT_ROLE and roles(at)["price"] == "numeric" and not at.error
    go(at, "train")
    assert "text columns **review, colour**" in texts(at.caption)[0]


def test_a_run_link_brings_back_its_text_columns():
    at = upload(new_app(), "reviews.csv", csv(reviews(mixed=True)))
    text_control(at).set_value([]).run()  # the number and colour still give features: this run trains the MLP
    go(at, "train")
    click_run(set_settings(at, TINY))
    [run] = runs_made(at)
    assert (run.state, run.config.text_columns) == ("done", ())

    linked = AppTest.from_file(APP, default_timeout=120)
    linked.query_params["run"] = run.token  # a reload, or the link shared
    linked.run()
    assert not linked.exception and linked.session_state["bridge.text_columns"] == ()
    go(linked, "data")
    assert text_control(linked).value == [] and roles(linked)["review"].startswith("left out")


def test_run_history_compares_the_text_networks_own_settings():
    from bridge.config import CompareConfig, TextConfig
    from pages.history import settings_diff, settings_of

    before = CompareConfig(network="text")
    after = CompareConfig(network="text", text=TextConfig(embedding_dim=128, encoder="conv"), text_columns=("review",))
    assert "hidden layers" not in settings_of(before) and settings_of(before)["text layers"] == "1"
    changed = {row["setting"]: (row["before"], row["after"]) for row in settings_diff(before, after)}
    assert changed == {"embedding size": ("64", "128"), "text encoder": ("bag", "conv"), "text columns": ("-", "review")}
