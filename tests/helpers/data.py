"""The real TravelTide rows vendored for the tests (provenance: ``tests/data/README.md``)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
# The first 400 rows of a real cohort extract, in two export dialects (true/false and '1'/'').
COHORT_EXTRACT = DATA / "cohort_extract"
COHORT_EXTRACT_BLANK_FALSE = DATA / "cohort_extract_blank_false"
# Real sessions of 2023-01-13..17 with their users, flights (24 trips repeated) and hotels, as Parquet.
SILVER_SUBSET = DATA / "silver_subset"
# Real rows covering every destination, airport, airline and home of the real data.
DISTINCT_VALUES = DATA / "distinct_values"
# Real session rows printed in public notebooks (display formats).
NOTEBOOK_SESSIONS = DATA / "notebook_heads" / "sessions.csv"
