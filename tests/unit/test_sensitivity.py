"""The cohort sensitivity read in parts gives what it gives in one piece, and counts each cohort right."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from traveltide.bronze import load_bronze
from traveltide.build import build_layer
from traveltide.sample import write_sample
from traveltide.segmentation import segment_users
from traveltide.segmentation.sensitivity import cohort_sensitivity

START = date(2023, 1, 4)


@pytest.fixture(scope="module")
def run_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """A generated export of 4,000 users through silver, gold and a fitted model (k = 4)."""
    folder = tmp_path_factory.mktemp("sensitivity")
    files = write_sample(out=folder / "bronze", users=4000, seed=11)
    db = folder / "run.duckdb"
    with duckdb.connect(str(db)) as con:
        load_bronze(con=con, files=files)
        build_layer(con=con, layer="silver", params={"conflict_tolerance": 0.01})
        build_layer(con=con, layer="gold", params={"start_date": START, "min_sessions": 5})
        model = segment_users(con=con, k=4, k_min=2, k_max=6, min_segment_size=5, seed=42, plots_dir=None).model
    return db, model


def _sensitivity(db: Path, model: object, users_per_part: int) -> list[dict]:
    with duckdb.connect(str(db)) as con:
        rows = cohort_sensitivity(
            con=con,
            model=model,
            start_date=START,
            min_sessions=7,
            perk_min_users=5,
            perk_min_share=0.02,
            users_per_part=users_per_part,
        )
    return [r.to_dict() for r in rows]


def test_reading_the_scratch_cohort_in_parts_changes_nothing(run_db) -> None:
    db, model = run_db
    with duckdb.connect(str(db), read_only=True) as con:
        # Users with at least 5 window sessions: the lowest threshold's cohort, read in parts of 100 or more.
        ((scratch,),) = con.execute(
            "select count(*) from (select user_id from silver.sessions where session_start >= $s "
            "group by user_id having count(*) >= 5)",
            {"s": START},
        ).fetchall()
    assert scratch >= 300  # at least three parts below
    whole, parts = _sensitivity(db, model, users_per_part=10**9), _sensitivity(db, model, users_per_part=100)
    assert parts == whole


def test_each_threshold_counts_the_users_with_that_many_window_sessions(run_db) -> None:
    db, model = run_db
    rows = _sensitivity(db, model, users_per_part=100)
    with duckdb.connect(str(db), read_only=True) as con:
        per_user = [
            n
            for (n,) in con.execute(
                "select count(*) from silver.sessions where session_start >= $s group by user_id", {"s": START}
            ).fetchall()
        ]
    assert [r["min_sessions"] for r in rows] == [5, 6, 7, 8, 9, 10]
    for r in rows:
        assert r["cohort"] == sum(n >= r["min_sessions"] for n in per_user)
        assert sum(r["offered_share"].values()) == pytest.approx(1.0) or r["cohort"] == 0
