"""The words around a verdict: context reasons, trade-offs and confidence words.

Kept apart from bridge/decision/recommend.py, which holds the rules that decide; nothing
here votes. Every sentence reads its numbers in its own direction: a side that
"leads by d" gets a positive d, and a curve that falls is called falling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.decision.size_curves import FLAT_SLOPE, crossing, slope

if TYPE_CHECKING:
    from bridge.decision.recommend import Facts

SMALL_TABLE_ROWS = 1_000  # below this a table is small: little for a network to learn a representation from
LARGE_TABLE_ROWS = 100_000
GPU_WORTH_SECONDS = 60.0  # CPU training this long is where a GPU's speed-up starts to matter to a user
# Confidence words, strongest first: the number is a share of resamples (and seeds), so 0.5 is an even split.
CONFIDENCE_WORDS = ((0.9, "firm"), (0.75, "likely"), (0.6, "a lean"), (0.4, "a toss-up"), (0.0, "weak"))


# The one table of verdict words: the report keeps the keys; screens, history and the HTML report show these.
VERDICT_NAMES = {"sklearn": "scikit-learn", "pytorch": "PyTorch", "no-signal": "no usable signal yet"}
VERDICT_HEADLINES = {"sklearn": "Use scikit-learn", "pytorch": "Use PyTorch",
                     "no-signal": "No usable signal yet: check the data before choosing a tool"}


def verdict_name(verdict: str) -> str:
    """The verdict as a person reads it: 'scikit-learn', not the report's key 'sklearn' (an unknown key shows as itself)."""
    return VERDICT_NAMES.get(verdict, verdict)


def verdict_headline(verdict: str) -> str:
    return VERDICT_HEADLINES.get(verdict, verdict)


def seconds(value: float) -> str:
    """Readable durations: 3.2 ms, 0.41 s, 12.3 s."""
    return f"{value * 1000:.1f} ms" if value < 0.1 else f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def ratio(a: float, b: float) -> str:
    """How a's time compares with b's, in words that read right both ways."""
    times = a / max(b, 1e-9)
    return f"{times:.1f}x as long as" if times >= 1 else f"{1 / max(times, 1e-9):.1f}x faster than"


def confidence_words(value: float) -> str:
    return next(words for floor, words in CONFIDENCE_WORDS if value >= floor)


def context(f: Facts, exception: str = "") -> list[str]:
    """Reasons that inform but do not vote: cost, hardware where it matters, data traits, the learning curve.

    ``exception`` is how this table breaks the pattern the traits predict (e.g. "PyTorch leads by 0.250"), or "".
    """
    reasons = [f"[cost] PyTorch took {seconds(f.pytorch_fit_seconds)} to train, {ratio(f.pytorch_fit_seconds, f.sklearn_fit_seconds)} "
               f"{f.sklearn_name} ({seconds(f.sklearn_fit_seconds)}); it predicts in {seconds(f.pytorch_predict_seconds)} "
               f"against {seconds(f.sklearn_predict_seconds)}, with {f.pytorch_parameters:,} weights against "
               f"{f.sklearn_parameters:,} learned values."]
    gpu = _gpu(f)
    if gpu:
        reasons.append(gpu)
    if f.kind == "images":
        sees = ("describes each picture by hand-made HOG features (edge directions counted in fixed cells)" if "HOG" in f.sklearn_name
                else "sees each pixel position as a fixed column")
        reasons.append(f"[modality] Images: {f.rows:,} pictures of {f.features:,} pixel values. A CNN learns features from pixels "
                       f"wherever they sit; the scikit-learn side {sees}.")
    elif f.kind != "text":  # a table: its columns' traits (with text beside them, the text's too, below)
        reasons.append(f"[traits] {_traits(f)}: {'; '.join(trait_leans(f, exception))}.")
    if f.traits.get("text_columns"):
        reasons.append(_text_reason(f, exception))
    curve = _curve(f)
    if curve:
        reasons.append(curve)
    return reasons


SHORT_TEXT_TOKENS = 20  # tokens per row below which texts are title-like: counted words say most of what there is
MANY_TEXT_ROWS = 50_000  # rows from which learned word vectors and context often beat counted words


def _text_reason(f: Facts, exception: str = "") -> str:
    """The text's traits (rows, vocabulary, tokens per row) and what they usually mean for counted against learned words."""
    t = f.traits
    columns = ", ".join(f"'{c}'" for c in t["text_columns"])
    said = (f"[text] Text in {columns}: {f.rows:,} rows, a vocabulary of {t['vocabulary']:,} words in the training rows, "
            f"{t['mean_tokens']:.1f} tokens per row on average. {f.sklearn_name} weighs the words and character "
            f"n-grams it was given as TF-IDF counts; the network learns a vector for each word from these rows alone (no "
            f"pretrained weights)")
    short, few = t["mean_tokens"] < SHORT_TEXT_TOKENS, f.rows < MANY_TEXT_ROWS
    if short or few:
        lean = ("short texts" if short else "") + (" and " if short and few else "") + (f"under {MANY_TEXT_ROWS:,} rows" if few else "")
        said += (f": with {lean}, a linear model on TF-IDF is usually hard to beat, as the words present say most of what "
                 f"a row means and there are too few rows to learn good word vectors")
        favours_counts = True
    else:
        said += ": with long texts and many rows, word order and context start to matter, where a learned encoder can pay"
        favours_counts = False
    if (exception.startswith("PyTorch") and favours_counts) or (exception.startswith("scikit-learn") and not favours_counts):
        said += f"; this text is an exception: {exception}"
    return said + "."


def _gpu(f: Facts) -> str | None:
    """The GPU sentence, only where a GPU changes something: it was used, images, large data or long training."""
    if f.on_gpu:
        return f"[gpu] The network trained on a CUDA GPU ({seconds(f.pytorch_fit_seconds)}); scikit-learn stays on the CPU."
    if f.network == "cnn" or f.kind == "images":
        return (f"[gpu] Trained on the CPU in {seconds(f.pytorch_fit_seconds)}: convolutions are where a GPU typically cuts "
                f"training time several-fold; the verdict on quality would not change.")
    if f.rows >= LARGE_TABLE_ROWS or f.pytorch_fit_seconds >= GPU_WORTH_SECONDS:
        return (f"[gpu] Trained on the CPU in {seconds(f.pytorch_fit_seconds)} on {f.rows:,} rows: large batches over this much "
                f"data are where a GPU typically cuts training time several-fold; the verdict on quality would not change.")
    return None  # a small network on a modest table: a GPU would change neither the time that matters nor the verdict


def _traits(f: Facts) -> str:
    """Rows, columns and features on their own bases: input columns before encoding, features after it."""
    t = f.traits
    share = t.get("categorical_share", 0)
    if t.get("columns"):
        columns = int(t["columns"])
        categorical = f"{round(share * columns)} of {columns} input columns are categorical"
    else:  # prepare's traits give the share, not the count: say which base it is on
        categorical = f"{share:.0%} of the input columns are categorical"
    text = (f"{f.rows:,} rows; {categorical}, {f.features:,} features after encoding; "
            f"{t.get('missing_share', 0):.1%} of input cells missing")
    return text + (f"; class imbalance {t['imbalance']:.1f}:1" if t.get("imbalance") else "")


def trait_leans(f: Facts, exception: str = "") -> list[str]:
    """What the literature says these particular traits mean for trees against networks, and where this table differs."""
    favours_trees = f.rows < LARGE_TABLE_ROWS
    if f.rows < SMALL_TABLE_ROWS:
        leans = [f"with under {SMALL_TABLE_ROWS:,} rows a network has little to learn a representation from, and simple "
                 "models are hard to beat"]
    elif f.rows < LARGE_TABLE_ROWS:
        leans = ["tree ensembles usually match or beat neural networks on medium-sized tables like this "
                 "(Grinsztajn et al., NeurIPS 2022; McElfresh et al., 2023)"]
    else:
        leans = ["large tables are where networks most often catch up with trees"]
    t = f.traits
    if t.get("categorical_share", 0) >= 0.3:
        favours_trees = True
        leans.append("many categorical columns favour trees, which split on a category directly where a network sees one-hot columns")
    if t.get("missing_share", 0) >= 0.05:
        leans.append("missing cells are imputed, with a missing flag, for both sides here; gradient boosting on the raw "
                     "table could route them natively, a network cannot")
    if t.get("imbalance", 1) >= 5:
        leans.append("the rare classes give both sides few examples, so balanced accuracy, not accuracy, is the score to watch")
    # A reason must not argue against the verdict unremarked: say where this table breaks the usual pattern.
    if (exception.startswith("PyTorch") and favours_trees) or (exception.startswith("scikit-learn") and not favours_trees):
        leans.append(f"this table is an exception: {exception}")
    return leans


def _curve_state(change: float, whom: str) -> str:
    """Words for a score change per doubling: rising, flat or falling (never "flattened" for a falling curve)."""
    if change > FLAT_SLOPE:
        return f"rising: more rows would likely help {whom}"
    if change >= -FLAT_SLOPE:
        return f"flat (within {FLAT_SLOPE} per doubling): more rows alone will add little"
    return ("falling: the larger training sets score worse on the validation rows, a sign of noise in those "
            "rows or of a model that overfits as it grows; more rows alone will not help")


def _curve(f: Facts) -> str | None:
    """Both sides' learning curves by training size, each described by its measured slope, and where they would meet."""
    sk = slope(f.sklearn_curve)
    if sk is None:
        return None
    text = (f"[curve] {f.sklearn_name}'s validation {f.metric} changes {sk[0]:+.3f} per doubling of training rows "
            f"at the largest sizes ({sk[1]:,} to {sk[2]:,}): {_curve_state(sk[0], 'it')}.")
    pt = slope(f.pytorch_curve)
    if pt is None:
        return text
    text += (f" PyTorch's, refitted on the same rows, changes {pt[0]:+.3f} per doubling ({pt[1]:,} to {pt[2]:,}): "
             f"{_curve_state(pt[0], 'it')}.")
    meet = crossing(f.sklearn_curve, f.pytorch_curve)
    if meet is None or meet["gap"] == 0:
        return text
    leader, trailer = ("PyTorch", "scikit-learn") if meet["gap"] > 0 else ("scikit-learn", "PyTorch")
    if not meet["converging"]:
        return text + f" {leader} leads on the validation rows by {abs(meet['gap']):.3f} and the curves are not converging."
    if meet["beyond_reach"]:
        return text + (f" The curves converge, but at these slopes {trailer} would catch up only after {meet['doublings']:.1f} "
                       f"more doublings (about {meet['crossing_rows']:,} rows): too far beyond the measured sizes to say.")
    return text + (f" If both trends held, {trailer} would catch up with {leader} at about {meet['crossing_rows']:,} training rows "
                   f"({2 ** meet['doublings']:.1f}x today's {meet['rows']:,}; an extrapolation of {meet['doublings']:.1f} doublings "
                   f"from the two largest sizes).")


def tradeoffs(f: Facts) -> list[dict]:
    def score(side: str, value: float) -> str:
        if f.constant_target:  # R^2 of a target with no variance is a division by rounding: no number to show
            return f"undefined: the target does not vary on the {f.constant_target} rows"
        if f.seeds:
            return f"{value:.3f} (over {len(f.seeds['seeds'])} seeds {f.seeds[side + '_mean']:.3f} +/- {f.seeds[side + '_sd']:.3f})"
        return f"{value:.3f}"

    return [
        {"aspect": f"test {f.metric}", "sklearn": score("sklearn", f.sklearn), "pytorch": score("pytorch", f.pytorch)},
        {"aspect": "fit time", "sklearn": seconds(f.sklearn_fit_seconds), "pytorch": seconds(f.pytorch_fit_seconds)},
        {"aspect": "predict time (test split)", "sklearn": seconds(f.sklearn_predict_seconds), "pytorch": seconds(f.pytorch_predict_seconds)},
        {"aspect": "learned parameters", "sklearn": f"{f.sklearn_parameters:,}", "pytorch": f"{f.pytorch_parameters:,}"},
        {"aspect": "code you own", "sklearn": "fit() and predict()", "pytorch": "the loop: forward, loss, backward, step, checkpoint"},
        {"aspect": "hardware", "sklearn": "CPU", "pytorch": "GPU used" if f.on_gpu else "CPU here; a GPU when present"},
    ]
