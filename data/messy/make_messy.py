"""Write the two hand-made "real-world messy" CSVs in data/messy/ (deterministic: seeded).

Run ``python data/messy/make_messy.py`` from anywhere. Only pandas and the standard library
are used; the inputs are the real files data/seattle_weather.csv and data/penguins.csv.
The outputs are for trying the command line by hand, e.g.

    python -m bridge compare data/messy/weather_semicolon_latin1.csv
    python -m bridge compare data/messy/penguins_messy.csv

and are not used by the unit tests.

weather_semicolon_latin1.csv
    seattle_weather with ``;`` as separator, decimal commas ("10,9"), dates written day-first
    ("31/12/2015"), an extra text column ``station`` with accented names, encoded cp1252
    (only Latin-1 characters are used, so reading it as Latin-1 gives the same text).

penguins_messy.csv
    penguins with a UTF-8 byte-order mark, a running ``id`` column first ("P-0001"), a free-text
    ``notes`` column (mostly unique sentences), a made-up ``clutch_completion`` yes/no column, and
    missing values written three ways: "NA", "?" and an empty cell. The target ``species`` stays
    last and complete. The numbers are copied as text, exactly as in data/penguins.csv.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd

SEED = 2024
HERE = Path(__file__).resolve().parent
DATA = HERE.parent

# Latin-1 only (no en dash or curly quotes), so cp1252 and Latin-1 decode to the same text.
STATIONS = ["Aéroport Sea-Tac", "Centre-ville", "Université de Washington", "Île Bainbridge"]
MISSING_TOKENS = ["NA", "?", ""]


def make_weather(rng: random.Random) -> Path:
    df = pd.read_csv(DATA / "seattle_weather.csv")
    dates = pd.to_datetime(df["date"], format="%Y/%m/%d")
    df["date"] = dates.dt.strftime("%d/%m/%Y")
    station = [rng.choices(STATIONS, weights=[5, 3, 2, 1])[0] for _ in range(len(df))]
    df.insert(1, "station", station)  # target 'weather' stays the last column
    out = HERE / "weather_semicolon_latin1.csv"
    df.to_csv(out, sep=";", decimal=",", index=False, encoding="cp1252", lineterminator="\n")
    return out


OPENERS = [
    "Adult seen at the nest",
    "Bird caught on the beach",
    "Measured near the colony edge",
    "Found resting on the rocks",
    "Approached from the landing site",
    "Handled after the morning count",
    "Sampled late in the afternoon",
    "Spotted returning from the sea",
]
HANDLING = [
    "calm during handling",
    "struggled a little while being weighed",
    "bill measured twice to be sure",
    "blood sample taken without trouble",
    "band read from a distance first",
    "partner stayed close the whole time",
    "feathers wet, weight may be a bit high",
    "released quickly because of the wind",
]
WEATHER = ["light snow", "clear sky", "strong wind", "fog over the bay", "drizzle", "low cloud"]
OBSERVERS = ["KG", "WF", "TW", "AH", "JM"]


def note(rng: random.Random, island: str, year: str) -> str:
    nest = f"N{rng.randint(1, 99)}{rng.choice('AB')}"
    day = f"{year}-{rng.randint(11, 12):02d}-{rng.randint(1, 28):02d}"
    return (
        f"{rng.choice(OPENERS)} on {island}, nest {nest}, {day}; "
        f"{rng.choice(HANDLING)}, {rng.choice(WEATHER)}. Obs. {rng.choice(OBSERVERS)}."
    )


def make_penguins(rng: random.Random) -> Path:
    # Everything as text, so numbers keep their exact spelling and "NA" stays a token we rewrite.
    df = pd.read_csv(DATA / "penguins.csv", dtype=str, keep_default_na=False)
    target = df.pop("species")
    df.insert(0, "id", [f"P-{i:04d}" for i in range(1, len(df) + 1)])
    df["clutch_completion"] = ["yes" if rng.random() < 0.9 else "no" for _ in range(len(df))]
    df["notes"] = [
        note(rng, island, year) if rng.random() < 0.93 else "NA"
        for island, year in zip(df["island"], df["year"])
    ]

    # A few more gaps in some feature columns, on top of the 19 real ones.
    for col, rate in [("island", 0.02), ("bill_depth_mm", 0.03), ("body_mass_g", 0.02), ("clutch_completion", 0.04)]:
        df[col] = [v if rng.random() >= rate else "NA" for v in df[col]]

    # Every missing cell (real or added) is written as one of "NA", "?" or empty, at random.
    features = [c for c in df.columns if c != "id"]
    for col in features:
        df[col] = [rng.choice(MISSING_TOKENS) if v == "NA" else v for v in df[col]]

    df["species"] = target  # the target stays last and complete
    out = HERE / "penguins_messy.csv"
    df.to_csv(out, index=False, encoding="utf-8-sig", lineterminator="\n")
    return out


def main() -> None:
    for make in (make_weather, make_penguins):
        path = make(random.Random(SEED))
        print(f"wrote {path.relative_to(DATA.parent)} ({path.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
