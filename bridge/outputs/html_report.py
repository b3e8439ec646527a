"""Comparison -> one self-contained HTML page to share: metrics, charts, recommendation, errors.

Self-contained means it opens offline and loads nothing: the charts are inline SVG drawn here,
CNN filters are inline PNG data URIs, the styles are inline, and a Content-Security-Policy forbids
any network request. Every text from the data (names, labels, cell values) goes through
``html.escape``: shown exactly as it is, never run as markup.
"""

from __future__ import annotations

import html
import json
import math

from bridge.comparison import Comparison
from bridge.decision.verdict_text import verdict_headline
from bridge.outputs import representation
from bridge.outputs.report import SIDES, _json_safe
from bridge.outputs.scripts import loop_code
from bridge.outputs.thumbnails import data_uri
from bridge.outputs.tuning_text import budget_line, setting_value, studies_line
from bridge.problem.features import tabular_columns
from bridge.problem.text import UNKNOWN, WordTokenizer, tokens

PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac"]
STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}.row{display:flex;flex-wrap:wrap;gap:16px}.row>div{flex:1;min-width:320px}
pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:12px}.verdict{font-size:1.4em;font-weight:bold}
.scroll{max-height:480px;overflow:auto}.errors td{white-space:nowrap}img.px{image-rendering:pixelated;margin:2px;border:1px solid #ddd}"""
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
W, H, PAD = 420, 260, 44  # chart size and margin, in SVG pixels
LONG_CELL = 200  # characters of a cell the error table shows: a text of 20,000 characters would make it a page wide
TOP_TERMS = 8  # TF-IDF terms shown for the example text


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _number(value) -> str:
    if isinstance(value, float):
        return "n/a" if not math.isfinite(value) else f"{value:.4f}"
    return _e(value)


def _table(header: list[str], rows: list[list], shade: list[list[float]] | None = None) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cells = []
        for j, cell in enumerate(row):
            style = f' style="background:rgba(76,120,168,{shade[i][j]:.2f})"' if shade and j > 0 else ""
            cells.append(f"<td{style}>{_number(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _scale(values: list[float], size: float, flip: bool = False):
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return lambda v: PAD + (1 - (v - low) / span if flip else (v - low) / span) * (size - 2 * PAD)


def _frame(title: str, x_label: str, y_label: str, xs: list[float], ys: list[float], body: str, width: int = W) -> str:
    ticks = "".join(f'<text x="{PAD - 4}" y="{_scale(ys, H, True)(v) + 4:.1f}" text-anchor="end" font-size="10">{v:.3g}</text>'
                    for v in (min(ys), max(ys)))
    ticks += "".join(f'<text x="{_scale(xs, W)(v):.1f}" y="{H - PAD + 14}" text-anchor="middle" font-size="10">{v:.3g}</text>'
                     for v in (min(xs), max(xs)))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{H}" role="img" aria-label="{_e(title)}">'
            f'<text x="{W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">{_e(title)}</text>'
            f'<rect x="{PAD}" y="{PAD}" width="{W - 2 * PAD}" height="{H - 2 * PAD}" fill="none" stroke="#ccc"/>{ticks}'
            f'<text x="{W / 2}" y="{H - 8}" text-anchor="middle" font-size="11">{_e(x_label)}</text>'
            f'<text x="12" y="{H / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 12 {H / 2})">{_e(y_label)}</text>'
            f"{body}</svg>")


def _legend(names: list[str], colours: list[str]) -> str:
    return "".join(f'<rect x="{PAD + 4 + 90 * i}" y="24" width="10" height="10" fill="{c}"/>'
                   f'<text x="{PAD + 18 + 90 * i}" y="33" font-size="10">{_e(n)[:14]}</text>' for i, (n, c) in enumerate(zip(names, colours)))


def line_chart(title: str, x_label: str, y_label: str, series: dict[str, list[tuple[float, float]]], marker: float | None = None) -> str:
    """Lines (with points) on shared axes; ``marker`` draws a dashed vertical line at that x."""
    points = [p for line in series.values() for p in line if math.isfinite(p[1])]
    if not points:
        return ""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    sx, sy = _scale(xs, W), _scale(ys, H, True)
    body = ""
    if marker is not None:
        body += f'<line x1="{sx(marker):.1f}" x2="{sx(marker):.1f}" y1="{PAD}" y2="{H - PAD}" stroke="gray" stroke-dasharray="4 4"/>'
    for colour, line in zip(PALETTE, series.values()):
        line = [p for p in line if math.isfinite(p[1])]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in line)
        body += f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
        body += "".join(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5" fill="{colour}"><title>{x:g}: {y:.4f}</title></circle>'
                        for x, y in line)
    return _frame(title, x_label, y_label, xs, ys, body + _legend(list(series), PALETTE))


def bar_chart(title: str, metric: str, bars: list[tuple[str, float]]) -> str:
    """One bar per model, from 0 (or the lowest negative value) up."""
    values = [v if math.isfinite(v) else 0.0 for _, v in bars]
    low, high = min(0.0, *values), max(0.0, *values, 1e-9)
    sy = _scale([low, high], H, True)
    step = (W - 2 * PAD) / len(bars)
    body = ""
    for i, ((label, _), value) in enumerate(zip(bars, values)):
        top, bottom = sorted((sy(value), sy(0.0)))
        body += (f'<rect x="{PAD + i * step + 12:.1f}" y="{top:.1f}" width="{step - 24:.1f}" height="{bottom - top:.1f}" '
                 f'fill="{PALETTE[i]}"><title>{_e(label)}: {value:.4f}</title></rect>'
                 f'<text x="{PAD + (i + 0.5) * step:.1f}" y="{top - 4:.1f}" text-anchor="middle" font-size="11">{value:.3f}</text>'
                 f'<text x="{PAD + (i + 0.5) * step:.1f}" y="{H - PAD + 14}" text-anchor="middle" font-size="10">{_e(label)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" role="img" aria-label="{_e(title)}">'
            f'<text x="{W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">{_e(title)}</text>'
            f'<text x="12" y="{H / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 12 {H / 2})">{_e(metric)}</text>{body}</svg>')


def scatter_chart(title: str, xs: list[float], ys: list[float], labels: list, categorical: bool) -> str:
    """Points coloured by class (a palette, legend on the right) or by a numeric target (light to dark)."""
    if categorical:
        names = sorted(set(map(str, labels)))
        colour = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}
        fills = [colour[str(v)] for v in labels]
        shown = names[:12]
        legend = "".join(f'<rect x="{W + 4}" y="{PAD + 14 * i}" width="10" height="10" fill="{colour[n]}"/>'
                         f'<text x="{W + 18}" y="{PAD + 9 + 14 * i}" font-size="10">{_e(n[:16])}</text>' for i, n in enumerate(shown))
        if len(names) > len(shown):
            legend += f'<text x="{W + 4}" y="{PAD + 9 + 14 * len(shown)}" font-size="10">+ {len(names) - len(shown)} more</text>'
    else:
        lo, hi = min(labels), max(labels)
        fills = [f"hsl(220,70%,{85 - 60 * (v - lo) / ((hi - lo) or 1):.0f}%)" for v in labels]
        legend = f'<text x="{PAD + 4}" y="33" font-size="10">darker = higher target ({lo:.3g} to {hi:.3g})</text>'
    sx, sy = _scale(xs, W), _scale(ys, H, True)
    body = "".join(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5" fill="{f}" fill-opacity="0.8"/>' for x, y, f in zip(xs, ys, fills))
    return _frame(title, "first principal component", "second", xs, ys, body + legend, width=W + 120)


def _pixels(image) -> str:
    return f'<img class="px" src="{data_uri(image, 48)}" width="48" height="48" alt="">'


def representation_section(comparison: Comparison) -> str:
    projection = representation.projections(comparison, max_points=500)
    frame, categorical = projection.frame, comparison.dataset["task"] == "classification"
    charts = []
    for view in representation.VIEWS:
        part = frame[frame["view"] == view]
        sep = projection.separation.get(view)
        title = f"{view}: PCA" + (f", class separation {sep:.2f}" if sep is not None else "")
        charts.append(f"<div>{scatter_chart(title, part['pc1'].tolist(), part['pc2'].tolist(), part['label'].tolist(), categorical)}</div>")
    out = ('<h2>Where representation learning happens</h2><p>The same test rows twice: as the inputs both sides see, and as '
           "the network's last hidden layer re-describes them. Separation is the silhouette of the classes in the picture "
           '(1: apart, 0: overlapping).</p>')
    if projection.hidden_units == 0:
        out += "<p>This network has no hidden layer, so it learns no representation of its own: both pictures show the inputs.</p>"
    out += '<div class="row">' + "".join(charts) + "</div>"
    filters = representation.first_layer_filters(comparison)
    maps = representation.feature_maps(comparison)
    if filters is not None and maps is not None:
        shown = filters if filters.shape[1] in (1, 3) else filters[:, :1]
        out += "<h3>First-layer filters</h3><p>" + "".join(_pixels(f) for f in shown[:64]) + "</p>"
        out += "<h3>One test image and its first-layer feature maps</h3><p>" + _pixels(maps[0])
        out += "".join(_pixels(m[None]) for m in maps[1][:32]) + "</p>"
    return out


def _cut(value):
    return value[:LONG_CELL] + "…" if isinstance(value, str) and len(value) > LONG_CELL else value


def text_section(comparison: Comparison) -> str:
    """Text runs: the text columns, their traits, and one test text as each side reads it (empty for other data)."""
    data = comparison.arrays()
    traits, settings, tokenizer = data.traits, comparison.config["text"], data.tokenizer
    if not traits.get("text_columns") or not isinstance(tokenizer, WordTokenizer):
        return ""
    columns = ", ".join(f"'{c}'" for c in traits["text_columns"])
    out = (f"<h2>The text</h2><p>Free text in {_e(columns)}. scikit-learn reads each text as TF-IDF counts of its words (and "
           f"pairs of words) and of character 2-4-grams; the PyTorch network reads its first {settings['max_tokens']} tokens as word ids "
           f"and learns a vector of {settings['embedding_dim']} numbers for each word ({_e(settings['encoder'])} encoder) from these rows "
           "alone.</p>")
    out += _table(["", "this run"], [["text columns", columns], ["vocabulary (words in the training rows)", f"{traits['vocabulary']:,}"],
                             ["tokens per row, on average", f"{traits['mean_tokens']:.1f}"],
                             [f"texts longer than {settings['max_tokens']} tokens", f"{traits['texts_cut']:.0%}"]])
    if not len(data.test_rows):
        return out
    column = traits["text_columns"][0]
    cell = data.original.loc[data.test_rows[0], column]
    text = "" if cell is None or (isinstance(cell, float) and math.isnan(cell)) else str(cell)  # missing: the empty text, as both read it
    words = [f"{word} ({tokenizer.ids_.get(word, UNKNOWN)}{'' if word in tokenizer.ids_ else ', unknown'})"
             for word in tokens(text)[: settings["max_tokens"]]]
    row = data.X_test_flat[0].toarray().ravel()
    row[tabular_columns(data.transform)] = 0.0  # the TF-IDF terms only, not the table's other features
    top = [i for i in row.argsort()[::-1][:TOP_TERMS] if row[i] > 0]
    return out + (f"<h3>One test text, as each side reads it</h3><p>Row {_e(data.test_rows[0])}, '{_e(column)}': <q>{_e(_cut(text))}</q></p>"
                  f"<p>PyTorch, word (id): {_e(', '.join(words) or '(no token: the empty id)')}</p>"
                  f"<p>scikit-learn, its largest TF-IDF values: {_e(', '.join(f'{data.feature_names[i]} {row[i]:.2f}' for i in top))}</p>")


def _best_so_far(trials: list[dict], side: str) -> list[tuple[float, float]]:
    """(trial, the best validation score up to it) over a side's finished trials: how the search improved."""
    points, best = [], -math.inf
    for trial in sorted((t for t in trials if t["side"] == side and t["state"] == "complete"), key=lambda t: t["number"]):
        best = max(best, trial["value"])
        points.append((trial["number"], best))
    return points


def tuning_section(comparison: Comparison) -> str:
    """Tune mode: what each side searched, its best settings, the knobs that mattered, the tuned test scores (empty untuned)."""
    tuning, metric, models = comparison.tuning, comparison.metric, comparison.models
    if not tuning:
        return ""
    rows = []
    for side, label in SIDES[1:]:
        trials = [t for t in tuning["trials"] if t["side"] == side]
        best = tuning["best"][side]
        rows.append([label, f"{len(trials)} ({sum(t['state'] == 'complete' for t in trials)} complete)", best["value"], best["number"],
                     tuning["test"][side]["metrics"][metric], models[side].metrics[metric]])
    out = (f"<h2>Tuning</h2><p>{_e(budget_line(tuning['budget']))}. Trial 0 of each side is the default run's own settings; "
           "each side's best trial was refitted and scored once on the test rows.</p>"
           + _table(["", "trials", f"best validation {metric}", "best trial", f"tuned test {metric}", f"default test {metric}"], rows)
           + line_chart(f"Best validation {metric} so far, by trial", "trial", metric,
                        {label: _best_so_far(tuning["trials"], side) for side, label in SIDES[1:]}))
    settings = [[label, name, setting_value(value)] for side, label in SIDES[1:] for name, value in tuning["best"][side]["params"].items()]
    shares = [[label, name, f"{share:.0%}"] for side, label in SIDES[1:]
              for name, share in sorted(tuning["importance"].get(side, {}).items(), key=lambda item: -item[1])]
    out += '<div class="row"><div><h3>Best settings</h3>' + _table(["side", "setting", "value"], settings) + "</div>"
    out += ("<div><h3>Which knobs mattered</h3><p>Optuna's fANOVA importance over the finished trials.</p>"
            + (_table(["side", "knob", "share"], shares) if shares else "<p>Too few finished trials to say.</p>") + "</div></div>")
    kept = studies_line(tuning)
    return out + (f"<p>{_e(kept)}</p>" if kept else "")


def to_html(comparison: Comparison) -> str:
    """The report as one HTML page (UTF-8 text)."""
    c, rec, metric = comparison, comparison.recommendation, comparison.metric
    d, s, t = c.dataset, c.split, c.training
    models = c.models
    metric_names = list(models["sklearn"].metrics)
    rows = [[name, *(models[k].metrics.get(name, float("nan")) for k, _ in SIDES)] for name in metric_names]
    rows += [["fit seconds", *(models[k].fit_seconds for k, _ in SIDES)], ["predict seconds", *(models[k].predict_seconds for k, _ in SIDES)],
             ["parameters", *(f"{models[k].parameters:,}" for k, _ in SIDES)]]
    parts = [f"<h1>Bridge report: {_e(d['name'])}</h1>",
             f"<p>{_e(d['kind'])}, {d['rows']} rows, {d['features']} features, task {_e(d['task'])}, target <b>{_e(d['target'])}</b>. "
             f"Split: train {s['train']} / validation {s['val']} / test {s['test']} rows, the same rows for both sides. "
             f"PyTorch {_e(t['network'].upper())} on {_e(t['device'])}: {t['epochs_run']} epochs, best at epoch {t['best_epoch']}.</p>",
             f'<h2>Recommendation</h2><p class="verdict">{_e(verdict_headline(rec["verdict"]))}</p>',
             f'<p>Confidence {rec["confidence"]:.0%}{": " + _e(rec["confidence_words"]) if rec.get("confidence_words") else ""}. '
             f'{_e(rec.get("confidence_means", ""))}</p>',
             "<ul>" + "".join(f"<li>{_e(r)}</li>" for r in rec["reasons"]) + "</ul>"]
    if rec.get("next_action"):
        parts.append(f"<p><b>Next:</b> {_e(rec['next_action'])}</p>")
    if rec.get("would_change"):
        parts.append("<p>What would change the answer:</p><ul>" + "".join(f"<li>{_e(x)}</li>" for x in rec["would_change"]) + "</ul>")
    parts += ["<h2>Test metrics</h2>", _table(["", *(f"{label}: {models[k].name}" for k, label in SIDES)], rows),
              '<div class="row"><div>' + bar_chart(f"Test {metric}", metric, [(label, models[k].metrics[metric]) for k, label in SIDES]) + "</div>",
              "<div>" + line_chart("PyTorch: loss per epoch", "epoch", "loss",
                                   {"train": [(p["epoch"], p["train_loss"]) for p in c.curves["pytorch"]],
                                    "validation": [(p["epoch"], p["val_loss"]) for p in c.curves["pytorch"]]}, t["best_epoch"]) + "</div>",
              "<div>" + line_chart(f"Both sides: validation {metric} by training size", "training rows", metric,
                                   {label: [(p["train_size"], p["val_score"]) for p in c.curves.get(key) or []]
                                    for key, label in (("sklearn", "scikit-learn"), ("pytorch_by_size", "PyTorch"))}) + "</div></div>"]
    if c.confusion:
        labels = c.confusion["labels"]
        parts.append('<h2>Confusion matrices</h2><p>Rows: the true class; columns: the prediction.</p><div class="row">')
        for side, label in SIDES[1:]:
            matrix = c.confusion[side]
            top = max(max(r) for r in matrix) or 1
            shade = [[0.0, *(v / top * 0.8 for v in r)] for r in matrix]
            parts.append(f"<div><h3>{label}</h3>" + _table(["true \\ predicted", *labels], [[t_, *r] for t_, r in zip(labels, matrix)], shade)
                         + "</div>")
        parts.append("</div>")
    parts.append(tuning_section(c))
    parts.append(text_section(c))
    parts.append(representation_section(c))
    sklearn_code, pytorch_code = loop_code(c)
    parts.append('<h2>The loop fit() hides</h2><div class="row"><div><h3>scikit-learn</h3><pre>' + _e(sklearn_code)
                 + '</pre></div><div><h3>PyTorch</h3><pre>' + _e(pytorch_code) + "</pre></div></div>")
    if c.errors:
        header = list(c.errors[0])
        parts += [f"<h2>Error table</h2><p>{len(c.errors)} test rows, the ones most worth a look first.</p>",
                  '<div class="scroll errors">' + _table(header, [[_cut(e.get(k)) for k in header] for e in c.errors]) + "</div>"]
    if c.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in c.notes) + "</ul>")
    settings = json.dumps(_json_safe(c.config), indent=2)
    parts.append(f"<h2>Settings</h2><p>The same seed and settings give the same numbers.</p><pre>{_e(settings)}</pre>")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f"<title>Bridge report: {_e(d['name'])}</title><style>{STYLE}</style></head><body>{''.join(parts)}</body></html>\n")
