"""The whole run as a Prefect flow under Prefect's test harness, on a generated sample.

Numbers are checked against independent computations on the raw CSV files (the csv
module and hashlib), and the extract is read back with tableauhyperapi.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import zipfile
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from tableauhyperapi import Connection, HyperProcess, Telemetry

from flows.traveltide_flow import traveltide_mart
from helpers.tableau_schema import schema_errors
from traveltide.pipeline import EmptyCohortError
from traveltide.quality import ValidationFailed
from traveltide.settings import Settings, load_settings

pytestmark = pytest.mark.slow

TABLES = ("users", "sessions", "flights", "hotels")


def _settings(tmp: Path, source: Path, **extra) -> Settings:
    return load_settings(
        **{
            "source": str(source),
            "exports": str(tmp / "exports"),
            "cache_dir": str(tmp / "cache"),
            # the fixtures' cohorts have 100 to 140 users: room for four segments of 10
            "min_segment_size": 10,
            **extra,
        }
    )


def _cohort_from_csv(folder: Path, start: str, min_sessions: int) -> set[int]:
    """Users with >= min_sessions distinct sessions starting on/after ``start`` (plain csv)."""
    with (folder / "users.csv").open(newline="") as f:
        users = {int(r["user_id"]) for r in csv.DictReader(f) if r["user_id"]}
    seen: set[str] = set()
    per_user: Counter[int] = Counter()
    threshold = datetime.fromisoformat(start)
    with (folder / "sessions.csv").open(newline="") as f:
        for r in csv.DictReader(f):
            if r["session_id"] in seen or not r["user_id"]:
                continue
            seen.add(r["session_id"])
            uid = int(r["user_id"])
            if uid in users and datetime.fromisoformat(r["session_start"]) >= threshold:
                per_user[uid] += 1
    return {u for u, n in per_user.items() if n >= min_sessions}


def _hyper_counts(path: Path) -> dict[str, int]:
    with HyperProcess(telemetry=Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU, parameters={"log_config": ""}) as hyper:
        with Connection(endpoint=hyper.endpoint, database=path) as con:
            names = [t.name.unescaped for t in con.catalog.get_table_names("Extract")]
            return {n: con.execute_scalar_query(f'SELECT COUNT(*) FROM "Extract"."{n}"') for n in names}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_publishes_extract_manifest_docs_and_report(good_run) -> None:
    exports, manifest = good_run
    for name in ("traveltide.hyper", "manifest.json", "data_docs/index.html", "report/index.html", "traveltide.tds"):
        assert (exports / name).is_file(), name
    assert not list(exports.glob(".staging-*"))
    on_disk = json.loads((exports / "manifest.json").read_text())
    assert on_disk == json.loads(json.dumps(manifest, default=str)) | {"outputs": on_disk["outputs"]}
    listed = {o["path"] for o in on_disk["outputs"]}
    assert {"traveltide.hyper", "report/index.html", "data_docs/index.html", "traveltide.tds"} <= listed
    hyper = next(o for o in on_disk["outputs"] if o["path"] == "traveltide.hyper")
    assert hyper["sha256"] == _sha(exports / "traveltide.hyper")
    # One Data Docs build at the end of the run shows every suite of every layer.
    index = (exports / "data_docs" / "index.html").read_text()
    suites = [s for layer in manifest["validation"].values() for s in layer["suites"]]
    assert {s.split(".")[0] for s in suites} == {"bronze", "silver", "gold", "mart"}
    for suite in suites:
        assert suite in index, suite


@pytest.mark.parametrize(
    ("package", "document"), [("traveltide.tdsx", "traveltide.tds"), ("traveltide.twbx", "traveltide.twb")]
)
def test_packaged_tableau_files_carry_the_runs_extract(good_run, package, document, tmp_path) -> None:
    exports, manifest = good_run
    listed = {o["path"]: o for o in json.loads((exports / "manifest.json").read_text())["outputs"]}
    assert listed[package]["sha256"] == _sha(exports / package)
    with zipfile.ZipFile(exports / package) as z:
        assert sorted(z.namelist()) == sorted([document, "Data/Extracts/traveltide.hyper"])
        text = z.read(document).decode("utf-8")
        z.extract("Data/Extracts/traveltide.hyper", tmp_path)
    inside = tmp_path / "Data" / "Extracts" / "traveltide.hyper"
    assert _sha(inside) == _sha(exports / "traveltide.hyper")
    assert _hyper_counts(inside) == manifest["row_counts"]["mart"]
    assert schema_errors(text) == []
    assert 'dbname="Data/Extracts/traveltide.hyper"' in text


def test_extract_holds_exactly_the_cohort(good_run, sample_dir) -> None:
    exports, manifest = good_run
    cohort = _cohort_from_csv(sample_dir, "2023-01-04", 7)
    assert len(cohort) > 50  # the sample is big enough to segment
    counts = _hyper_counts(exports / "traveltide.hyper")
    assert counts["dim_users"] == len(cohort)
    assert manifest["row_counts"]["gold"]["cohort"] == len(cohort)
    assert counts == manifest["row_counts"]["mart"]
    assert sum(s["users"] for s in manifest["segments"]["segments"]) == len(cohort)


def test_cohort_sensitivity_counts_each_threshold_from_the_csv(good_run, sample_dir) -> None:
    _, manifest = good_run
    rows = manifest["sensitivity"]
    assert [r["min_sessions"] for r in rows] == [5, 6, 7, 8, 9, 10]
    for r in rows:
        assert r["cohort"] == len(_cohort_from_csv(sample_dir, "2023-01-04", r["min_sessions"])), r
        assert sum(r["offered_share"].values()) == pytest.approx(1.0) or r["cohort"] == 0
    at_setting = next(r for r in rows if r["min_sessions"] == 7)
    offers = manifest["segments"]["offers"]
    assert {p: round(v * at_setting["cohort"]) for p, v in at_setting["offered_share"].items()} == offers


def test_offers_are_supported_and_usable_by_each_user(good_run) -> None:
    """Read back from the extract: nobody is offered a perk their own bookings do not allow."""
    exports, manifest = good_run
    with HyperProcess(telemetry=Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU, parameters={"log_config": ""}) as hyper:
        with Connection(endpoint=hyper.endpoint, database=exports / "traveltide.hyper") as con:
            rows = con.execute_list_query(
                'SELECT "offered_perk", "flight_trips", "hotel_trips", "booking_sessions", "experiment_group" '
                'FROM "Extract"."dim_users"'
            )
    need = {"Free checked bag": 1, "One night free hotel with flight": 2, "No cancellation fees": 3}
    for offered, flights, hotels, bookings, _ in rows:
        if offered in need:
            assert (flights, hotels, bookings)[need[offered] - 1] > 0, (offered, flights, hotels, bookings)
    supported = {p["perk"] for p in manifest["segments"]["perk_support"] if p["supported"]}
    assert {r[0] for r in rows} - {None} <= supported
    assert "Free hotel meal" not in supported
    share = sum(r[4] == "control" for r in rows) / len(rows)
    assert share == pytest.approx(manifest["settings"]["control_share"], abs=0.02)


def test_layered_parquet_exports_match_the_sources(good_run, sample_dir) -> None:
    """Silver (exported in the background) and gold Parquet: every table, complete, listed."""
    import duckdb

    exports, manifest = good_run
    listed = {o["path"] for o in json.loads((exports / "manifest.json").read_text())["outputs"]}
    parquet = manifest["extract"]["parquet"]
    assert set(parquet["silver"]) == {
        "users",
        "sessions",
        "flights",
        "hotels",
        "set_aside",
        "key_conflicts",
        "conflict_shares",
        "plausible_bounds",
        "implausible_values",
    }
    assert set(parquet["gold"]) >= {"cohort", "sessions", "trips", "user_features", "segments", "user_segments"}
    con = duckdb.connect()
    for tables in parquet.values():
        for info in tables.values():
            assert info["path"] in listed
            rows = con.execute("select count(*) from read_parquet(?)", [str(exports / info["path"])]).fetchall()[0][0]
            assert rows == info["rows"], info["path"]
    # The sample has no duplicate or orphan rows: silver holds every source line.
    for table in ("users", "sessions", "flights", "hotels"):
        with (sample_dir / f"{table}.csv").open() as f:
            assert parquet["silver"][table]["rows"] == sum(1 for _ in f) - 1, table
    cohort = _cohort_from_csv(sample_dir, "2023-01-04", 7)
    assert parquet["gold"]["user_features"]["rows"] == len(cohort)


def test_manifest_records_sources_settings_and_timings(good_run, sample_dir) -> None:
    _, manifest = good_run
    files = {f["table"]: f for f in manifest["source"]["files"]}
    for t in TABLES:
        assert files[t]["sha256"] == _sha(sample_dir / f"{t}.csv")
        assert files[t]["size"] == (sample_dir / f"{t}.csv").stat().st_size
    with (sample_dir / "sessions.csv").open() as f:
        assert manifest["bronze"]["rows"]["sessions"] == sum(1 for _ in f) - 1
    assert manifest["settings"]["min_sessions"] == 7
    assert set(manifest["timings_seconds"]) >= {"fetch", "bronze", "silver", "gold", "segment", "mart", "extract"}
    assert {layer: v["critical_failures"] for layer, v in manifest["validation"].items()} == {
        "bronze": 0,
        "silver": 0,
        "gold": 0,
        "mart": 0,
    }


def test_segment_pictures_drawn_in_the_background_reach_the_manifest_and_report(good_run) -> None:
    exports, manifest = good_run
    seg, settings = manifest["segments"], manifest["settings"]
    # k is fixed: the elbow picture still compares the whole range, fitted in the background.
    assert seg["k_selection"] == "fixed" and seg["k"] == settings["k"]
    assert [c["k"] for c in seg["candidates"]] == list(range(settings["k_min"], settings["k_max"] + 1))
    chosen = next(c for c in seg["candidates"] if c["k"] == seg["k"])
    assert chosen["silhouette"] == seg["silhouette"]
    assert set(seg["plots"]) == {"k_selection", "profiles", "projection"}
    for kind in ("k_selection", "projection"):
        assert (exports / "report" / f"diagnostic_{kind}.png").read_bytes()[:4] == b"\x89PNG"
    assert (exports / "report" / "segment_profiles.png").read_bytes()[:4] == b"\x89PNG"


def test_warning_level_oddity_is_reported_and_run_completes(good_run, sample_dir) -> None:
    # Source nights <= 0 (SPEC §1) are a known oddity: a warning, never a stop.
    with (sample_dir / "hotels.csv").open(newline="") as f:
        nonpositive = sum(1 for r in csv.DictReader(f) if int(r["nights"]) <= 0)
    assert nonpositive > 0
    _, manifest = good_run
    warned = [
        o for o in manifest["validation"]["bronze"]["outcomes"] if o["severity"] == "warning" and not o["success"]
    ]
    assert [(o["suite"], o["column"]) for o in warned] == [("bronze.hotels", "nights")]
    assert str(nonpositive) in json.dumps(warned[0]["observed"]) or warned[0]["observed"] == nonpositive


def _copy_with_null_user_ids(src: Path, dst: Path, every: int) -> int:
    dst.mkdir()
    for t in ("users", "flights", "hotels"):
        shutil.copy(src / f"{t}.csv", dst / f"{t}.csv")
    nulled = 0
    with (src / "sessions.csv").open(newline="") as fi, (dst / "sessions.csv").open("w", newline="") as fo:
        reader = csv.reader(fi)
        writer = csv.writer(fo)
        writer.writerow(next(reader))
        for i, row in enumerate(reader):
            if i % every == 0:
                row[1] = ""
                nulled += 1
            writer.writerow(row)
    return nulled


def test_critical_failure_stops_at_bronze_gate_and_keeps_previous_extract(good_run, sample_dir, tmp_path) -> None:
    exports, _ = good_run
    before = {n: _sha(exports / n) for n in ("traveltide.hyper", "manifest.json")}
    bad = tmp_path / "bad"
    _copy_with_null_user_ids(sample_dir, bad, every=500)
    settings = _settings(tmp_path, bad, exports=str(exports))
    with pytest.raises(
        ValidationFailed,
        match=r"(?s)bronze validation failed.*stopped before publishing.*bronze\.sessions\.user_id: expect_column_values_to_not_be_null",
    ):
        traveltide_mart(settings=settings)
    assert {n: _sha(exports / n) for n in before} == before
    assert not list(exports.glob(".staging-*"))
    # Reviewers see the failed run in the data docs.
    docs = (exports / "data_docs" / "index.html").read_text()
    assert "bronze.sessions" in docs


def test_empty_cohort_is_refused_and_nothing_is_published(harness, sample_dir, tmp_path) -> None:
    with pytest.raises(
        EmptyCohortError, match=r"no user has at least 400 sessions since 2023-01-04 .*lower --min-sessions"
    ):
        traveltide_mart(settings=_settings(tmp_path, sample_dir, min_sessions=400))
    exports = tmp_path / "exports"
    assert not (exports / "traveltide.hyper").exists()
    assert not (exports / "manifest.json").exists()
    assert not list(exports.glob(".staging-*"))


def test_consecutive_runs_keep_segments_and_say_what_drifted(harness, sample_dir, tmp_path) -> None:
    """Two runs on the same export, then one on two more weeks of sessions, into one exports folder."""
    import pandas as pd

    early = tmp_path / "early"
    shutil.copytree(sample_dir, early)
    sessions = pd.read_csv(sample_dir / "sessions.csv", dtype=str, keep_default_na=False)
    sessions[sessions.session_start < "2023-07-14"].to_csv(early / "sessions.csv", index=False)
    exports = tmp_path / "exports"
    gold = exports / "gold" / "user_segments.parquet"
    columns = ["user_id", "segment_id", "segment_name", "perk"]

    first = traveltide_mart(settings=_settings(tmp_path, early))
    assert first["drift"]["previous"] is False and first["drift"]["model"] == "fitted"
    after_first = pd.read_parquet(gold)[columns].sort_values("user_id", ignore_index=True)
    saved = json.loads((exports / "model" / "model.json").read_text())
    assert [s["segment_name"] for s in saved["segments"]] == [s["segment_name"] for s in first["segments"]["segments"]]

    second = traveltide_mart(settings=_settings(tmp_path, early))
    assert second["drift"]["model"] == "scored"
    assert second["drift"]["changed_users"] == 0 and second["drift"]["returning_users"] == len(after_first)
    assert max(second["drift"]["psi"].values()) == pytest.approx(0.0, abs=1e-12)
    pd.testing.assert_frame_equal(pd.read_parquet(gold)[columns].sort_values("user_id", ignore_index=True), after_first)
    assert json.loads((exports / "model" / "previous.json").read_text()) == saved

    third = traveltide_mart(settings=_settings(tmp_path, sample_dir))
    drift = third["drift"]
    assert drift["model"] == "scored", drift["why"]  # two weeks move no input beyond the threshold
    assert [s["segment_name"] for s in third["segments"]["segments"]] == [s["segment_name"] for s in saved["segments"]]
    # The users who changed, worked out here from the two published tables.
    now = pd.read_parquet(gold)[columns]
    both = after_first.merge(now, on="user_id", suffixes=("_before", ""))
    moved = both[(both.segment_id_before != both.segment_id) | (both.perk_before != both.perk)]
    listed = pd.read_parquet(exports / drift["files"]["parquet"])
    assert sorted(listed.user_id) == sorted(moved.user_id)
    assert drift["returning_users"] == len(both) and drift["changed_users"] == len(moved)
    assert drift["sizes"] == {
        str(i): {"previous": int((after_first.segment_id == i).sum()), "now": int((now.segment_id == i).sum())}
        for i in sorted(set(after_first.segment_id) | set(now.segment_id))
    }
    assert len(moved) > 0  # two more weeks of behaviour move somebody
    # The Prefect UI shows the same: the drift artifact of the last run.
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        (latest, *_) = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["traveltide-drift"])),
            sort=ArtifactSort.CREATED_DESC,
        )
    assert f"{drift['changed_users']} changed segment or perk" in latest.data


def test_score_gives_every_window_user_a_segment_from_the_saved_model(harness, good_run, sample_dir, tmp_path) -> None:
    """The score flow on the export the model was fitted on: window users counted here from the
    CSV files; cohort users get exactly the segment the run gave them."""
    import pandas as pd

    from flows.traveltide_flow import traveltide_score
    from traveltide.pipeline import ScoreError
    from traveltide.segmentation.scoring import DEFAULT_PERK

    exports, manifest = good_run
    settings = _settings(tmp_path, sample_dir)
    result = traveltide_score(settings=settings, model=str(exports / "model"), out=str(tmp_path / "scores"))
    scores = pd.read_parquet(result["parquet"]).set_index("user_id")
    assert pd.read_csv(result["csv"]).shape[0] == len(scores)
    window = _cohort_from_csv(sample_dir, "2023-01-04", 1)
    cohort = _cohort_from_csv(sample_dir, "2023-01-04", 7)
    assert set(scores.index) == window and len(window) > len(cohort)
    assert set(scores.index[scores.in_cohort]) == cohort
    run = pd.read_parquet(exports / "gold" / "user_segments.parquet").set_index("user_id")
    joined = run.merge(scores, left_index=True, right_index=True, suffixes=("", "_scored"))
    assert len(joined) == len(cohort)
    assert (joined.segment_id == joined.segment_id_scored).all() and (joined.perk == joined.perk_scored).all()
    default = scores[scores.basis == "default"]
    assert (default.perk == DEFAULT_PERK).all() and default.distance.isna().all()
    assert scores.distance[scores.basis != "default"].notna().all()
    assert result["model_run"] == manifest["run_id"]

    with pytest.raises(ScoreError, match=r"no segmentation model here .* point --model at the exports/model"):
        traveltide_score(settings=settings, model=str(tmp_path / "nowhere"), out=str(tmp_path / "x"))


def _artifact_tables(key: str) -> list[list[dict]]:
    """Every table artifact stored under ``key``, read back through the Prefect API the runs talked to."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async def read() -> list[list[dict]]:
        async with get_client() as client:
            found = await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
        return [json.loads(a.data) if isinstance(a.data, str) else a.data for a in found]

    return asyncio.run(read())


def test_prefect_artifacts_show_the_segment_perk_and_the_offered_perk(good_run) -> None:
    _, manifest = good_run
    seg = manifest["segments"]
    segments = _artifact_tables("traveltide-segments")
    want = [[s["segment_name"], s["perk"], s["users"], s["eligible_users"]] for s in seg["segments"]]
    assert want in [[[r["segment"], r["perk"], r["users"], r["usable by"]] for r in t] for t in segments]
    # Shares as the report writes them (one decimal), not a float with all its digits. Artifacts
    # of every run of the session are stored under the key: check this run's table.
    (mine,) = [t for t in segments if [[r["segment"], r["users"]] for r in t] == [[w[0], w[2]] for w in want]][:1]
    for row, s in zip(mine, seg["segments"], strict=True):
        assert re.fullmatch(r"\d{1,3}\.\d%", row["share"]), row["share"]
        assert abs(float(row["share"][:-1]) - 100 * s["users"] / seg["users"]) <= 0.05 + 1e-9
    offers = _artifact_tables("traveltide-offers")
    want_offers = {p["perk"]: seg["offers"].get(p["perk"], 0) for p in seg["perk_support"]}
    assert want_offers in [{r["perk"]: r["offered to"] for r in t if r["perk"] != "(none usable)"} for t in offers]


def test_prefect_artifacts_count_every_layer_and_show_the_funnel_as_a_table(good_run) -> None:
    _, manifest = good_run
    want = {("bronze", t): n for t, n in manifest["bronze"]["rows"].items()}
    want |= {("silver", t): v["rows"] for t, v in manifest["silver"].items()}
    want |= {(layer, t): n for layer, ts in manifest["row_counts"].items() for t, n in ts.items() if t != "funnel"}
    counts = [{(r["layer"], r["table"]): r["rows"] for r in t} for t in _artifact_tables("traveltide-row-counts")]
    assert want in counts
    assert {layer for layer, _ in want} == {"bronze", "silver", "gold", "mart"}
    funnel = manifest["row_counts"]["gold"]["funnel"]
    shown = [[r["users"] for r in t] for t in _artifact_tables("traveltide-funnel")]
    assert [funnel["users"], funnel["users_in_window"], funnel["cohort"]] in shown
    steps = [funnel["users"], funnel["users_in_window"], funnel["cohort"]]
    (mine,) = [t for t in _artifact_tables("traveltide-funnel") if [r["users"] for r in t] == steps][:1]
    shown_share = mine[-1]["share of all users"]
    assert re.fullmatch(r"\d{1,3}\.\d%", shown_share), shown_share
    assert abs(float(shown_share[:-1]) - 100 * funnel["cohort"] / funnel["users"]) <= 0.05 + 1e-9
