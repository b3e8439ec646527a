"""Hostile input in the app: a failed upload or run says what to do in one line and loses nothing.

After a good upload and a run, each bad file must leave the dataset, the stored results, and every
page that shows them as they were; raw upload bytes must not stay in session state.
"""

from __future__ import annotations

import io
import os
import re
import zipfile

import pandas as pd
import pytest
from streamlit.runtime.uploaded_file_manager import UploadedFile
from test_app_support import (
    VERDICT_HEADERS,
    go,
    metric_values,
    new_app,
    runs_made,
    sidebar_text,
    table_csv,
    texts,
    train,
    trained_app,
    unescaped,
    upload,
)


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


HOSTILE = {
    "binary garbage named .csv": ("garbage.csv", os.urandom(2048) + b"\x00", "text/csv"),
    "an empty file": ("empty.csv", b"", "text/csv"),
    "a header and no rows": ("header.csv", b"a,b,label\n", "text/csv"),
    "a zip with no images": ("notes.zip", zipped({"notes/readme.txt": b"no pictures here"}), "application/zip"),
    "a broken zip": ("broken.zip", b"PK\x03\x04 cut short", "application/zip"),
    "images that cannot be decoded": ("fake.zip", zipped({"shapes/cat/1.png": b"not a png", "shapes/dog/1.png": b"nor this"}),
                                      "application/zip"),
}


def raw_bytes_in(state) -> list[str]:
    """Session-state keys whose value is an uploaded file or raw bytes."""
    return [key for key, value in state.items() if isinstance(value, (UploadedFile, bytes, bytearray))]


@pytest.mark.parametrize("case", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_failed_upload_says_what_to_do_and_keeps_the_dataset_and_results(case):
    name, data, mime = case
    at = trained_app("good.csv")
    before = metric_values(at)
    go(at, "recommendation")
    verdict = at.header[0].value

    upload(at, name, data, mime)
    [error] = texts(at.error)
    assert error.startswith(f"Could not use {name}: ") and error.endswith("Your previous dataset and results are kept.")
    assert "\n" not in error and "Traceback" not in error and "uploaded.csv" not in error
    assert texts(at.subheader)[0] == "good.csv" and at.session_state["bridge.dataset"].name == "good.csv"
    assert "good.csv: 120 rows x 4 columns" in sidebar_text(at) and "verdict" in sidebar_text(at)

    go(at, "compare")
    assert {k: v for k, v in metric_values(at).items() if not k.startswith("Dummy")} == {k: v for k, v in before.items() if k != "Verdict"}
    go(at, "recommendation")
    assert at.header[0].value == verdict in VERDICT_HEADERS
    go(at, "train")
    assert metric_values(at) == before and not at.error  # the error was shown once, where the upload happened
    assert not raw_bytes_in(at.session_state)


def test_raw_upload_bytes_leave_session_state_once_parsed():
    at = upload(new_app(), "good.csv", table_csv())
    assert texts(at.success) == ["Loaded good.csv."]
    assert not raw_bytes_in(at.session_state)
    assert all(at.session_state[key] is None for key in at.session_state if key.startswith("bridge.upload."))
    assert at.file_uploader[0].value is None  # the uploader starts empty again: the file now lives on as the parsed Dataset
    dataset = at.session_state["bridge.dataset"]
    assert not [name for name, value in vars(dataset).items() if isinstance(value, (bytes, bytearray))]

    upload(at, "garbage.csv", b"\x00\x01\x02" * 100)
    assert not raw_bytes_in(at.session_state) and at.session_state["bridge.dataset"].name == "good.csv"


def test_a_reader_bug_still_gives_one_line_and_keeps_the_dataset(monkeypatch):
    import bridge.io.data

    def broken(*args, **kwargs):
        raise KeyError("a bug in a reader")

    at = trained_app("good.csv")
    monkeypatch.setattr(bridge.io.data, "load_dataset", broken)  # the Data page imports it afresh on every run
    upload(at, "odd.csv", b"x,y\n1,2\n3,4\n5,6\n")  # bytes no earlier test stored, so the store cannot answer
    [error] = texts(at.error)
    assert error == ("Could not read odd.csv: upload a CSV, or a .zip with one folder of images per class. "
                     "Your previous dataset and results are kept.")
    assert at.session_state["bridge.dataset"].name == "good.csv" and not at.exception


def test_a_failed_run_says_why_and_keeps_earlier_results():
    at = trained_app("good.csv")
    before = metric_values(at)
    upload(at, "one.csv", b"a\n1\n2\n3\n4\n5\n6\n")  # loads, but a table of one column has nothing to learn from
    train(at)
    assert any(e.startswith("The run stopped: the table has a single column") and e.endswith("Earlier results are kept.")
               for e in texts(at.error))
    assert [r.state for r in runs_made(at)] == ["done", "failed"]
    go(at, "compare")  # the earlier run is still what the results pages show
    assert {k: v for k, v in metric_values(at).items() if not k.startswith("Dummy")} == {k: v for k, v in before.items() if k != "Verdict"}


def test_a_table_with_nothing_to_learn_from_is_explained_on_data_and_train():
    at = upload(new_app(), "one.csv", b"a\n1\n2\n3\n4\n5\n6\n")
    assert not at.exception
    [error] = texts(at.error)
    assert "single column" in error and "\n" not in error
    train(at)
    assert not at.exception and any(e.startswith("The run stopped: the table has a single column") for e in texts(at.error))
    assert [r.state for r in runs_made(at)] == ["failed"] and "bridge.current" not in at.session_state


MARKUP_NAME = "![x](http://127.0.0.1:9/t.png)"  # rendered as Markdown, this would make the browser fetch that address
UNESCAPED = re.compile(r"(?<!\\)(!\[|\]\(|^#|<img)")


def markdown_sources(at) -> list[str]:
    """Every piece of Markdown source on the page and in the sidebar, as Streamlit would render it."""
    kinds = ("markdown", "caption", "info", "success", "warning", "error", "subheader", "header", "title")
    return [e.value for kind in kinds for e in at.get(kind)] + [m.label for m in at.metric]


def test_markdown_in_file_column_and_class_names_is_shown_as_plain_text():
    frame = pd.read_csv(io.BytesIO(table_csv()))
    frame = frame.rename(columns={"x0": MARKUP_NAME}).assign(label=frame["label"].map({"yes": "# yes", "no": "[no](http://127.0.0.1:9/)"}))
    at = trained_app(f"{MARKUP_NAME}.csv", frame.to_csv(index=False).encode())
    seen = []
    for page in ("data", "train", "compare", "errors", "recommendation", "bridge_note"):
        go(at, page)
        sources = markdown_sources(at)
        seen += sources
        assert not [s for s in sources if UNESCAPED.search(s)], page
    assert any(MARKUP_NAME in unescaped(s) for s in seen)  # the name is shown, as typed
