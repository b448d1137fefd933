"""The saved segmentation model: scoring keeps ids, names and perks; a refit matches its
segments to the saved ones; settings, drift and empty segments decide a refit. Hand-built
cohorts (the archetypes of test_segments) in a real DuckDB."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pytest
from test_segments import FOUR, _load, _rows, _run

from traveltide.segmentation.model import psi, read_model, write_model


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


def _assignments(con) -> dict[int, tuple[int, str, str]]:
    rows = con.execute("select user_id, segment_id, segment_name, perk from gold.user_segments").fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_the_same_data_scored_with_its_model_keeps_every_assignment(con, tmp_path):
    _load(con, _rows(FOUR))
    first = _run(con, run_id="r1")
    before = _assignments(con)
    assert first.decision.mode == "fitted"
    path = write_model(model=first.model, path=tmp_path / "model.json")
    saved = read_model(path=path)
    assert json.loads(path.read_text())["segments"][0]["centroid"]  # readable JSON, no pickle
    second = _run(con, previous=saved, run_id="r2")
    assert second.decision.mode == "scored" and second.decision.previous_run == "r1"
    assert max(second.decision.psi.values()) == pytest.approx(0.0, abs=1e-12)
    assert _assignments(con) == before
    assert second.model is saved  # a scored run keeps the model it used


def test_a_refit_keeps_the_ids_and_names_of_the_segments_that_persist(con):
    rows = _rows(FOUR)
    _load(con, rows)
    saved = _run(con, run_id="r1").model
    # Rename the saved segments and shuffle their ids: a refit must find them by their centres.
    shuffled = [dict(s) for s in saved.segments]
    ids = [3, 1, 4, 2]
    for s, new_id in zip(shuffled, ids, strict=True):
        s["segment_id"] = new_id
        s["segment_name"] = f"Saved {s['segment_name']}"
    shuffled.sort(key=lambda s: s["segment_id"])
    from dataclasses import replace

    renamed = replace(saved, segments=tuple(shuffled))
    result = _run(con, previous=renamed, refit=True, run_id="r2")
    assert result.decision.mode == "refitted" and result.decision.why == "asked (--refit)"
    got = {(s.segment_id, s.segment_name, s.perk) for s in result.segments}
    assert got == {(s["segment_id"], s["segment_name"], s["perk"]) for s in shuffled}


def test_a_changed_setting_refits_and_says_which(con):
    _load(con, _rows(FOUR))
    saved = _run(con, run_id="r1").model
    result = _run(con, previous=saved, seed=7, run_id="r2")
    assert result.decision.mode == "refitted"
    assert result.decision.why == "setting(s) changed: seed 42 -> 7"
    assert {(s.segment_id, s.segment_name, s.perk) for s in result.segments} == {
        (s["segment_id"], s["segment_name"], s["perk"]) for s in saved.segments
    }


def test_drift_beyond_the_threshold_refits_and_names_the_input(con):
    rows = _rows(FOUR)
    _load(con, rows)
    saved = _run(con, run_id="r1").model
    for r in rows:  # every user now cancels far more than anyone did
        r["cancellation_rate"] = 0.9 + (r["user_id"] % 7) / 100
    _load(con, rows)
    x = np.array([[r[f] for f in saved.features] for r in sorted(rows, key=lambda r: r["user_id"])])
    expected = psi(model=saved, x=x)["cancellation_rate"]
    assert expected > 0.25
    result = _run(con, previous=saved, run_id="r2")
    assert result.decision.mode == "refitted"
    assert result.decision.why == (f"drift: the PSI of cancellation_rate is {expected:.2f}, above drift_threshold 0.25")


def test_psi_matches_the_textbook_formula_on_deciles():
    rng = np.random.default_rng(3)
    train = rng.normal(size=(5000, 1))
    later = rng.normal(loc=0.5, size=(5000, 1))
    from traveltide.segmentation.model import bins_and_shares

    edges, shares = bins_and_shares(values=train[:, 0])
    assert len(edges) == 9 and np.allclose(shares, 0.1, atol=0.002)
    # Independent: numpy histogram over the same deciles.
    bounds = np.concatenate([[-np.inf], np.quantile(train[:, 0], np.linspace(0.1, 0.9, 9)), [np.inf]])
    p = np.histogram(train[:, 0], bounds)[0] / 5000
    q = np.histogram(later[:, 0], bounds)[0] / 5000
    textbook = float(np.sum((q - p) * np.log(q / p)))

    from types import SimpleNamespace

    model = SimpleNamespace(features=("f",), training={"bins": {"f": edges}, "shares": {"f": shares}})
    assert psi(model=model, x=later)["f"] == pytest.approx(textbook, rel=1e-6)


def test_an_unreadable_or_other_format_model_is_refitted_from_scratch(tmp_path):
    bad = tmp_path / "model.json"
    bad.write_text("{not json", encoding="utf-8")
    assert read_model(path=bad) is None
    bad.write_text(json.dumps({"format": 99}), encoding="utf-8")
    assert read_model(path=bad) is None
    assert read_model(path=tmp_path / "absent.json") is None


def test_drift_lists_the_users_who_changed_and_warns_beyond_a_tenth(con, tmp_path):
    """Against a previous run's user_segments written here: 3 of 20 returning users changed perk."""
    import pandas as pd

    from traveltide.segmentation.drift import measure_drift
    from traveltide.segmentation.summary import ModelDecision

    con.execute("create schema gold")
    con.execute(
        "create table gold.user_segments as select range::integer as user_id, 1 + (range % 2)::integer as segment_id,"
        " 'S' || (1 + range % 2) as segment_name, if(range % 2 = 0, 'Free checked bag', 'Exclusive discounts') as perk"
        " from range(20)"
    )
    previous = con.sql("select * from gold.user_segments").df()
    previous.loc[previous.user_id.isin([0, 2, 4]), ["segment_id", "segment_name", "perk"]] = [
        2,
        "S2",
        "Exclusive discounts",
    ]
    previous = pd.concat(
        [previous, pd.DataFrame([{"user_id": 99, "segment_id": 1, "segment_name": "S1", "perk": "x"}])]
    )
    previous.to_parquet(tmp_path / "user_segments.parquet")
    decision = ModelDecision(mode="scored", why="fits", previous_run="r0", psi={"total_nights": 0.3})
    drift = measure_drift(
        con=con, previous=tmp_path / "user_segments.parquet", decision=decision, drift_threshold=0.25, out_dir=tmp_path
    )
    assert (drift.returning_users, drift.changed_users, drift.changed_perk) == (20, 3, 3)
    assert drift.sizes == {"1": {"previous": 8, "now": 10}, "2": {"previous": 13, "now": 10}}
    assert sorted(pd.read_csv(tmp_path / "drift" / "changed_users.csv").user_id) == [0, 2, 4]
    assert drift.warnings == (
        "3 of 20 returning cohort users (15.0%) changed perk since the previous run",
        "the population stability index of total_nights is 0.30, above drift_threshold 0.25",
    )
    first = measure_drift(
        con=con, previous=tmp_path / "absent.parquet", decision=decision, drift_threshold=0.25, out_dir=tmp_path
    )
    assert first.previous is False and first.changed_users == 0
