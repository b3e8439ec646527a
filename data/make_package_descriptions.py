"""Write data/package_descriptions.csv: Debian package synopses labelled with their section (deterministic: seeded).

Run ``python data/make_package_descriptions.py [PACKAGES_INDEX]`` from anywhere. The input is a Debian
``Packages`` index (default: bookworm main amd64 as apt keeps it, lz4-compressed, in /var/lib/apt/lists/);
compressed indexes are read through ``apt-helper cat-file``, plain ones directly. Only pandas and the
standard library are used.

The text task: guess a package's section from its one-line synopsis
("Real-time strategy game of ancient warfare" -> games). Kept: five sections people understand. Dropped,
because they would make the task trivial or meaningless: debug-symbol packages, transitional and dummy
packages, synopses shorter than three words, and the "(data files)" / "- development files" style variants
of a synopsis already present (deduplicated on the synopsis with its trailing suffix removed, case-folded).
At most PER_SECTION rows are sampled from each section, then all rows are shuffled.
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

import pandas as pd

DEFAULT_INDEX = Path("/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4")
APT_HELPER = "/usr/lib/apt/apt-helper"
SECTIONS = ("games", "science", "sound", "graphics", "net")
PER_TEMPLATE = 20  # rows that may share their first three words
PER_SECTION = 700
MIN_WORDS = 3
SEED = 0
OUT = Path(__file__).resolve().parent / "package_descriptions.csv"

DEBUG_PACKAGE = re.compile(r"-(dbg|dbgsym)$")
DEBUG_SYNOPSIS = re.compile(r"\bdebug(ging)?[ -]symbols?\b", re.IGNORECASE)
PLACEHOLDER_SYNOPSIS = re.compile(r"\b(transitional|dummy)\b", re.IGNORECASE)
# A variant's suffix: "... (data files)", "... (Python 3)", "... - development files", "... -- server".
# Stripped repeatedly, so "Foo - tools (Python 3)" and "Foo" share the base "foo".
TRAILING_PARENS = re.compile(r"\s*\([^()]*\)\s*$")
# Greedy, so only the part after the last spaced dash goes: "Foo - command-line tools" -> "Foo".
TRAILING_DASH_PART = re.compile(r"^(.*\S)\s+(?:--?|–|—)\s+.*$")


def read_index(path: Path) -> str:
    if not path.is_file():
        raise SystemExit(f"No Packages index at {path}: pass the path of one, e.g. a file from /var/lib/apt/lists/.")
    if path.suffix in {".lz4", ".xz", ".gz", ".bz2", ".zst"}:
        try:
            done = subprocess.run([APT_HELPER, "cat-file", str(path)], capture_output=True, check=True)
        except (OSError, subprocess.CalledProcessError) as error:
            raise SystemExit(f"Could not decompress {path} with {APT_HELPER} ({error}): pass an uncompressed Packages file instead.") from error
        return done.stdout.decode("utf-8")
    return path.read_text(encoding="utf-8")


def parse_stanzas(text: str) -> list[dict[str, str]]:
    """One dict per package: field name -> first line of its value (continuation lines are skipped)."""
    packages = []
    for stanza in text.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if line and not line[0].isspace() and ":" in line:
                name, value = line.split(":", 1)
                fields[name] = value.strip()
        if "Package" in fields:
            packages.append(fields)
    return packages


def base_synopsis(description: str) -> str:
    """The synopsis without variant suffixes, case-folded, so that "Foo (data files)" and "Foo" match."""
    previous = None
    while previous != description:
        previous = description
        description = TRAILING_PARENS.sub("", description)
        description = TRAILING_DASH_PART.sub(r"\1", description)
    return " ".join(description.split()).casefold()


def is_noise(package: str, description: str) -> bool:
    return (
        bool(DEBUG_PACKAGE.search(package))
        or bool(DEBUG_SYNOPSIS.search(description))
        or bool(PLACEHOLDER_SYNOPSIS.search(description))
        or len(description.split()) < MIN_WORDS
    )


def select(packages: list[dict[str, str]]) -> pd.DataFrame:
    rows = [
        {"description": " ".join(p["Description"].split()), "section": p["Section"]}
        for p in packages
        if p.get("Section") in SECTIONS and p.get("Description") and not is_noise(p["Package"], p["Description"])
    ]
    table = pd.DataFrame(rows)
    table["base"] = table["description"].map(base_synopsis)
    # Within a group of variants keep the bare synopsis if there is one (it says what the program is), else the
    # first in index order; the index is sorted by package name, so "0ad" comes before "0ad-data".
    table["is_variant"] = table["base"] != table["description"].str.casefold()
    table = table.sort_values("is_variant", kind="stable").drop_duplicates("base").sort_index()
    # Templated families ("tesseract-ocr language files for Czech", "... for Danish", ...) would fill a section with
    # near-copies that any model gets right: at most PER_TEMPLATE rows share their first three words.
    opening = table["description"].str.casefold().str.split().str[:3].str.join(" ")
    table = table[table.groupby(opening).cumcount() < PER_TEMPLATE]
    sampled = [group.sample(n=min(PER_SECTION, len(group)), random_state=SEED) for _, group in table.groupby("section", sort=True)]
    shuffled = pd.concat(sampled).sample(frac=1, random_state=SEED)
    return shuffled[["description", "section"]].reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", nargs="?", type=Path, default=DEFAULT_INDEX, help=f"Debian Packages index (default: {DEFAULT_INDEX})")
    args = parser.parse_args()
    table = select(parse_stanzas(read_index(args.index)))
    table.to_csv(OUT, index=False, encoding="utf-8", lineterminator="\n")
    print(f"wrote {len(table)} rows to {OUT}")
    print(table["section"].value_counts().to_string())


if __name__ == "__main__":
    main()
