"""Real TravelTide rows as an operator exports them, through the real flow.

The KonstantinData subset (tests/data/silver_subset) is written out as CSV the way a JOIN-based
export wrote it: 24 flights repeated identically, trips whose flights or hotels rows are missing,
sessions of users outside the users export. It is dressed in two more real-world habits: session
timestamps carry a UTC offset, and the users' booleans are written as '1' and empty. The run must
publish, and the six SPEC features in the extract must equal an independent pandas computation.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pantab
import pytest

from flows.traveltide_flow import traveltide_mart
from helpers.data import SILVER_SUBSET
from traveltide.quality import ValidationFailed
from traveltide.settings import load_settings

pytestmark = pytest.mark.slow

START = "2023-01-13"
MIN_SESSIONS = 2
MIN_SEGMENT_SIZE = 5  # the subset's cohort has a few dozen users
SPEC = [
    "total_sessions",
    "cancellation_rate",
    "discount_usage_rate",
    "total_nights",
    "total_checked_bags",
    "total_base_fare",
]


def _tables() -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(SILVER_SUBSET / f"{t}.parquet") for t in ("users", "sessions", "flights", "hotels")}


def _write_export(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    folder.mkdir(parents=True)
    users = tables["users"].copy()
    for flag in ("married", "has_children"):  # booleans as '1' and empty
        users[flag] = users[flag].map({True: "1", False: ""})
    sessions = tables["sessions"].copy()
    for column in ("session_start", "session_end"):  # UTC written as local time at +02:00
        local = pd.to_datetime(sessions[column]) + timedelta(hours=2)
        sessions[column] = local.dt.strftime("%Y-%m-%d %H:%M:%S") + "+02:00"
    for name, frame in {**tables, "users": users, "sessions": sessions}.items():
        frame.to_csv(folder / f"{name}.csv", index=False)


def _expected_features(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The six SPEC features, computed in pandas from the rows (SPEC §2)."""
    users, sessions = tables["users"], tables["sessions"]
    flights, hotels = tables["flights"].drop_duplicates(), tables["hotels"].drop_duplicates()
    window = sessions[sessions.user_id.isin(users.user_id) & (sessions.session_start >= pd.Timestamp(START))]
    counts = window.groupby("user_id").size()
    gold = window[window.user_id.isin(counts[counts >= MIN_SESSIONS].index)]
    assert not gold.cancellation.any()  # this subset has no cancellations: every trip is kept
    trips = gold.dropna(subset=["trip_id"])[["user_id", "trip_id"]].drop_duplicates()
    with_flight = trips.merge(flights, on="trip_id")
    with_hotel = trips.merge(hotels, on="trip_id")  # the author's nights are already clean
    features = pd.DataFrame(
        {
            "total_sessions": gold.groupby("user_id").size(),
            "cancellation_rate": 0.0,
            "discount_usage_rate": (gold.flight_discount | gold.hotel_discount).groupby(gold.user_id).mean(),
            "total_nights": with_hotel.groupby("user_id").nights.sum(),
            "total_checked_bags": with_flight.groupby("user_id").checked_bags.sum(),
            "total_base_fare": with_flight.groupby("user_id").base_fare_usd.sum(),
        }
    ).fillna(0.0)
    return features.sort_index()


@pytest.fixture(scope="module")
def real_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("real") / "export"
    _write_export(folder, _tables())
    return folder


def test_a_real_export_runs_end_to_end_with_exact_spec_features(harness, real_export: Path, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    settings = load_settings(
        source=str(real_export),
        exports=exports,
        cache_dir=tmp_path / "cache",
        start_date=START,
        min_sessions=MIN_SESSIONS,
        min_segment_size=MIN_SEGMENT_SIZE,
    )
    manifest = traveltide_mart(settings=settings)

    tables = _tables()
    assert manifest["silver"]["flights"]["set_aside"]["repeated row"] == 24
    assert manifest["silver"]["flights"]["set_aside"]["conflicting row"] == 0
    assert manifest["bronze"]["rejected"] == {"users": 0, "sessions": 0, "flights": 0, "hotels": 0}
    warned = {
        o["expectation"].split(" (")[1]
        for layer in manifest["validation"].values()
        for o in layer["outcomes"]
        if o["severity"] == "warning" and not o["success"] and "(" in o["expectation"]
    }
    assert any(w.startswith("rows repeated identically") for w in warned)
    assert any(w.startswith("trips with neither flight nor hotel") for w in warned)

    users = pantab.frame_from_hyper(exports / "traveltide.hyper", table=("Extract", "dim_users"))
    got = users.set_index("user_id")[SPEC].astype(float).sort_index()
    expected = _expected_features(tables).astype(float)
    assert len(got) >= 20
    pd.testing.assert_frame_equal(got, expected, check_names=False, check_index_type=False, rtol=1e-9)
    # The '1'/empty booleans read as the users export holds them, and offsets came back to UTC.
    truth = tables["users"].set_index("user_id").loc[got.index, ["married", "has_children"]].to_numpy()
    read = users.set_index("user_id").loc[got.index, ["married", "has_children"]].to_numpy()
    assert (read == truth).all()
    fact = pantab.frame_from_hyper(exports / "traveltide.hyper", table=("Extract", "fact_sessions"))
    source = tables["sessions"].set_index("session_id").session_start
    assert (pd.to_datetime(fact.set_index("session_id").session_start) == source.loc[fact.session_id].values).all()
    # No session of these real days is a cancellation: "No cancellation fees" has nothing to stand on.
    assert not tables["sessions"].cancellation.astype(str).str.lower().isin(["true", "1"]).any()
    support = {p["perk"]: p for p in manifest["segments"]["perk_support"]}
    assert not support["No cancellation fees"]["supported"]
    assert support["No cancellation fees"]["users_with_behaviour"] == 0
    assert "No cancellation fees" not in set(users.perk) | set(users.offered_perk.dropna())
    segments = pantab.frame_from_hyper(exports / "traveltide.hyper", table=("Extract", "dim_segments"))
    assert segments.perks_not_offered.str.contains("No cancellation fees: Not offered: only 0 of").all()


def test_conflicting_rows_beyond_the_tolerance_stop_the_run(harness, real_export: Path, tmp_path: Path) -> None:
    """The same export with 5 % of its flights repeated at another fare: a broken export."""
    broken = tmp_path / "broken"
    shutil.copytree(real_export, broken)
    flights = pd.read_csv(broken / "flights.csv")
    changed = flights.head(len(flights) // 20).assign(base_fare_usd=lambda f: f.base_fare_usd + 1)
    pd.concat([flights, changed]).to_csv(broken / "flights.csv", index=False)
    settings = {
        "source": str(broken),
        "exports": tmp_path / "exports",
        "cache_dir": tmp_path / "cache",
        "start_date": START,
        "min_sessions": MIN_SESSIONS,
        "min_segment_size": MIN_SEGMENT_SIZE,
    }
    with pytest.raises(ValidationFailed, match=r"(?s)silver\.conflict_shares.*flights\.csv.*conflict_tolerance"):
        traveltide_mart(settings=load_settings(**settings))
    assert not (tmp_path / "exports" / "traveltide.hyper").exists()
    # Within a tolerance the operator set, the run publishes and lists every conflict.
    manifest = traveltide_mart(settings=load_settings(**settings, conflict_tolerance=0.1))
    assert manifest["silver"]["flights"]["set_aside"]["conflicting row"] == len(changed)


def test_implausible_values_are_listed_and_kept_out_of_the_features(harness, tmp_path: Path) -> None:
    """The real export with four absurd values planted: a fare of 1e15 and 2e9 page clicks (both of
    cohort users), 500 rooms and a birthdate in 1800. The run publishes, lists each one, and the
    features are those of the export without the three rows that carry a value no booking can have."""
    tables = _tables()
    cohort = _expected_features(tables).index
    sessions, flights, hotels, users = (tables[t].copy() for t in ("sessions", "flights", "hotels", "users"))
    booked = sessions[sessions.user_id.isin(cohort) & sessions.trip_id.notna()]
    fare_trip = booked.trip_id[booked.trip_id.isin(flights.trip_id)].iloc[0]
    rooms_trip = hotels.trip_id[hotels.trip_id != fare_trip].iloc[0]  # the cohort booked no hotel here
    clicks_session = sessions.session_id[sessions.user_id.isin(cohort)].iloc[-1]
    old_user = int(cohort[0])
    flights.loc[flights.trip_id == fare_trip, "base_fare_usd"] = 1e15
    hotels.loc[hotels.trip_id == rooms_trip, "rooms"] = 500
    sessions.loc[sessions.session_id == clicks_session, "page_clicks"] = 2_000_000_000
    users.loc[users.user_id == old_user, "birthdate"] = "1800-01-01"
    planted = {"users": users, "sessions": sessions, "flights": flights, "hotels": hotels}
    _write_export(tmp_path / "export", planted)

    exports = tmp_path / "exports"
    manifest = traveltide_mart(
        settings=load_settings(
            source=str(tmp_path / "export"),
            exports=exports,
            cache_dir=tmp_path / "cache",
            start_date=START,
            min_sessions=MIN_SESSIONS,
            min_segment_size=MIN_SEGMENT_SIZE,
        )
    )
    listed = pd.read_parquet(exports / "silver" / "implausible_values.parquet")
    assert sorted(zip(listed.table_name, listed.key_value, listed.column_name, listed.action, strict=True)) == sorted(
        [
            ("flights", fare_trip, "base_fare_usd", "row set aside"),
            ("hotels", rooms_trip, "rooms", "row set aside"),
            ("sessions", clicks_session, "page_clicks", "row set aside"),
            ("users", str(old_user), "birthdate", "set to NULL"),
        ]
    )
    for table in ("sessions", "flights", "hotels"):
        assert manifest["silver"][table]["set_aside"]["implausible value"] == 1, table
    warned = [
        o["expectation"]
        for o in manifest["validation"]["silver"]["outcomes"]
        if o["severity"] == "warning" and not o["success"]
    ]
    assert any("values outside the plausible bounds" in w for w in warned)

    # Independently: the features of the export without the three set-aside rows.
    without = {
        **tables,
        "sessions": tables["sessions"][tables["sessions"].session_id != clicks_session],
        "flights": tables["flights"][tables["flights"].trip_id != fare_trip],
        "hotels": tables["hotels"][tables["hotels"].trip_id != rooms_trip],
    }
    got = pantab.frame_from_hyper(exports / "traveltide.hyper", table=("Extract", "dim_users")).set_index("user_id")
    expected = _expected_features(without).astype(float)
    pd.testing.assert_frame_equal(
        got[SPEC].astype(float).sort_index(), expected, check_names=False, check_index_type=False, rtol=1e-9
    )
    assert got["total_base_fare"].max() < 1e6
    # A user is kept (birthdate feeds no feature), the age of 223 is not published.
    assert old_user in got.index
    assert pd.isna(got.loc[old_user, "age"])
    assert got["age"].dropna().between(0, 130).all()
