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
    }
    with pytest.raises(ValidationFailed, match=r"(?s)silver\.conflict_shares.*flights\.csv.*conflict_tolerance"):
        traveltide_mart(settings=load_settings(**settings))
    assert not (tmp_path / "exports" / "traveltide.hyper").exists()
    # Within a tolerance the operator set, the run publishes and lists every conflict.
    manifest = traveltide_mart(settings=load_settings(**settings, conflict_tolerance=0.1))
    assert manifest["silver"]["flights"]["set_aside"]["conflicting row"] == len(changed)
