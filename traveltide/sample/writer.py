"""The built-in TravelTide sample: four bronze CSVs that look and behave like the real exports,
so the pipeline, its tests and analysts can run without the network.

The behaviour (and every figure it was fitted to) lives in :mod:`traveltide.sample.model`;
this module formats the columns like the real Postgres-client exports (true/false, timestamps
with six fraction digits, NULL as an empty field, unquoted) and, with ``dirty=True``, adds the
faults real exports have, listed in ``dirty_faults.json`` next to the CSVs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from traveltide.contract.bronze import FLIGHTS, HOTELS, LAYER, SESSIONS, USERS
from traveltide.sample.model import SampleArrays, simulate, simulate_followup

__all__ = ["DIRTY_FAULTS_FILE", "CampaignTruth", "generator_fingerprint", "write_sample"]

# Written next to the CSVs in dirty mode: what was injected, per table, with file line numbers.
DIRTY_FAULTS_FILE = "dirty_faults.json"

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_TS_FORMAT = "%Y-%m-%d %H:%M:%S"  # microsecond timestamps print their six fraction digits


def generator_fingerprint() -> str:
    """A short hash of the generator's code: cached samples are reused only by the same generator."""
    import hashlib
    from importlib.resources import files

    h = hashlib.sha256()
    for module in ("writer.py", "model.py", "catalog.py"):
        h.update((files("traveltide.sample") / module).read_bytes())
    return h.hexdigest()[:10]


# Written next to the CSVs of a simulated campaign: the groups' sizes and the effect put in.
CAMPAIGN_FILE = "campaign_truth.json"


@dataclass(frozen=True, slots=True)
class CampaignTruth:
    """A perk campaign to simulate after the export end: who is in it, who is treated, the effect.

    ``effect`` is added to the booking probability of every session of a treated user during the
    ``days`` after the export end; control users keep their archetype's probability.
    """

    user_ids: np.ndarray
    treated: np.ndarray
    effect: float
    days: int = 60


def write_sample(
    *,
    out: Path,
    users: int = 100_000,
    seed: int = 20230104,
    dirty: bool = False,
    campaign: CampaignTruth | None = None,
) -> dict[str, Path]:
    """Write users.csv, sessions.csv, flights.csv, hotels.csv into `out`; return {table: path}.

    The same ``users`` and ``seed`` give byte-identical files. ``dirty`` adds a few duplicate
    rows, unparsable values, orphan trip ids and misplaced NULLs, listed in ``dirty_faults.json``.
    ``campaign`` appends the sessions of a simulated perk campaign after the export end (the
    "later export" ``traveltide evaluate`` reads), the rows before it unchanged; what was put in
    is in ``campaign_truth.json``.
    """
    if users < 1:
        raise ValueError(f"users must be at least 1 (got {users})")
    arrays = simulate(users=users, seed=seed)
    id_rng = np.random.default_rng([seed, 1])
    faults: dict[str, Any] = {}
    orphans = np.zeros(len(arrays.trip_user), dtype=bool)
    if dirty:
        orphans = _pick_orphans(np.random.default_rng([seed, 2]), arrays, count=3)
    tables = _tables(arrays, id_rng, orphans)
    if dirty:
        tables, faults = _inject_faults(tables, np.random.default_rng([seed, 3]), arrays, orphans)
    if campaign is not None:
        later = simulate_followup(
            users=users,
            seed=seed,
            campaign=campaign.user_ids,
            treated=campaign.treated,
            effect=campaign.effect,
            days=campaign.days,
        )
        extra = _tables(later, np.random.default_rng([seed, 8]), np.zeros(len(later.trip_user), dtype=bool))
        for name in ("sessions", "flights", "hotels"):
            tables[name] = pa.concat_tables([tables[name], extra[name]])
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for contract in LAYER.published:
        path = out / f"{contract.name}.csv"
        _write_csv(tables[contract.name], path)
        written[contract.name] = path
    if dirty:
        (out / DIRTY_FAULTS_FILE).write_text(
            json.dumps({"users": users, "seed": seed, "tables": faults}, indent=2) + "\n", encoding="utf-8"
        )
    if campaign is not None:
        truth = {
            "users": users,
            "seed": seed,
            "effect_on_booking_probability": campaign.effect,
            "days": campaign.days,
            "treated_users": int(campaign.treated.sum()),
            "control_users": int((~campaign.treated).sum()),
        }
        (out / CAMPAIGN_FILE).write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return written


def _ids(rng: np.random.Generator, user: np.ndarray) -> pa.Array:
    """'<user_id>-<32 hex>' for each entry of ``user``."""
    n = len(user)
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    hexed = np.empty((n, 32), dtype=np.uint8)
    hexed[:, 0::2] = _HEX[raw >> 4]
    hexed[:, 1::2] = _HEX[raw & 15]
    offsets = np.arange(0, 32 * (n + 1), 32, dtype=np.int32)
    hex_arr = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(hexed.tobytes()))
    return pc.binary_join_element_wise(pc.cast(pa.array(user, pa.int64()), pa.string()), hex_arr, "-")


def _ts(us: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    arr = pa.array(us.astype("datetime64[us]"), mask=None if valid is None else ~valid)
    return pc.strftime(arr, format=_TS_FORMAT)


def _date(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype(np.int32), pa.int32()).cast(pa.date32())


def _num(x: np.ndarray) -> pa.Array:
    return pa.array(x, pa.float64(), from_pandas=True)  # NaN -> NULL


def _tables(a: SampleArrays, rng: np.random.Generator, orphans: np.ndarray) -> dict[str, pa.Table]:
    u, s, f, h = a.users, a.sessions, a.flights, a.hotels
    trip_ids = _ids(rng, a.trip_user)
    session_ids = _ids(rng, s["user"])
    has_trip = s["trip"] >= 0
    users = {
        "user_id": pa.array(u["user_id"]),
        "birthdate": _date(u["birthdate"]),
        "gender": pa.array(u["gender"]),
        "married": pa.array(u["married"]),
        "has_children": pa.array(u["has_children"]),
        "home_country": pa.array(u["home_country"]),
        "home_city": pa.array(u["home_city"]),
        "home_airport": pa.array(u["home_airport"]),
        "home_airport_lat": _num(u["home_airport_lat"]),
        "home_airport_lon": _num(u["home_airport_lon"]),
        "sign_up_date": _date(u["sign_up_date"]),
    }
    sessions = {
        "session_id": session_ids,
        "user_id": pa.array(s["user"].astype(np.int32)),
        "trip_id": pc.take(trip_ids, pa.array(np.where(has_trip, s["trip"], 0), mask=~has_trip)),
        "session_start": _ts(s["session_start"]),
        "session_end": _ts(s["session_end"]),
        **{k: pa.array(s[k]) for k in ("flight_discount", "hotel_discount")},
        "flight_discount_amount": _num(s["flight_discount_amount"]),
        "hotel_discount_amount": _num(s["hotel_discount_amount"]),
        **{k: pa.array(s[k]) for k in ("flight_booked", "hotel_booked", "page_clicks", "cancellation")},
    }
    keep_f = ~orphans[f["trip"]]
    flights = {
        "trip_id": pc.take(trip_ids, pa.array(f["trip"][keep_f])),
        **{
            k: pa.array(f[k][keep_f])
            for k in ("origin_airport", "destination", "destination_airport", "seats", "return_flight_booked")
        },
        "departure_time": _ts(f["departure_time"][keep_f]),
        "return_time": _ts(f["return_time"][keep_f], valid=f["return_flight_booked"][keep_f]),
        "checked_bags": pa.array(f["checked_bags"][keep_f]),
        "trip_airline": pa.array(f["trip_airline"][keep_f]),
        "destination_airport_lat": _num(f["destination_airport_lat"][keep_f]),
        "destination_airport_lon": _num(f["destination_airport_lon"][keep_f]),
        "base_fare_usd": _num(f["base_fare_usd"][keep_f]),
    }
    keep_h = ~orphans[h["trip"]]
    hotels = {
        "trip_id": pc.take(trip_ids, pa.array(h["trip"][keep_h])),
        "hotel_name": pa.array(h["hotel_name"][keep_h]),
        "nights": pa.array(h["nights"][keep_h]),
        "rooms": pa.array(h["rooms"][keep_h]),
        "check_in_time": _ts(h["check_in_time"][keep_h]),
        "check_out_time": _ts(h["check_out_time"][keep_h]),
        "hotel_per_room_usd": pa.array(h["hotel_per_room_usd"][keep_h]),
    }
    out = {}
    for contract, cols in ((USERS, users), (SESSIONS, sessions), (FLIGHTS, flights), (HOTELS, hotels)):
        out[contract.name] = pa.table({name: cols[name] for name in contract.column_names})
    return out


def _write_csv(table: pa.Table, path: Path) -> None:
    """Unquoted CSV with a plain header, as the real exports are (no value holds a comma or quote)."""
    with path.open("wb") as fh:
        fh.write((",".join(table.column_names) + "\n").encode())
        pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=False, quoting_style="none"))


# --- dirty mode -----------------------------------------------------------------------------

_DUPLICATES = {"users": 2, "sessions": 3, "flights": 2, "hotels": 2}
_UNPARSABLE = {  # table -> [(column, value that no reader can parse as the contract type)]
    "users": [("birthdate", "1990-13-45")],
    "sessions": [("page_clicks", "twelve"), ("session_start", "2023-02-30 25:61:00")],
    "flights": [("seats", "two")],
    "hotels": [("check_in_time", "not a time")],
}
_MISPLACED_NULLS = {  # table -> columns that get one NULL each (never a key or sessions.user_id)
    "users": ["home_city"],
    "sessions": ["session_end", "page_clicks"],
    "flights": ["departure_time"],
    "hotels": ["hotel_per_room_usd"],
}


def _pick_orphans(rng: np.random.Generator, a: SampleArrays, *, count: int) -> np.ndarray:
    """Trips (not cancelled) whose flights/hotels rows are left out, so their trip_id is an orphan."""
    s = a.sessions
    cancelled = np.zeros(len(a.trip_user), dtype=bool)
    cancelled[s["trip"][s["cancellation"]]] = True
    candidates = np.flatnonzero(~cancelled)
    chosen = rng.choice(candidates, size=min(count, len(candidates)), replace=False)
    mask = np.zeros(len(a.trip_user), dtype=bool)
    mask[chosen] = True
    return mask


def _inject_faults(
    tables: dict[str, pa.Table], rng: np.random.Generator, a: SampleArrays, orphans: np.ndarray
) -> tuple[dict[str, pa.Table], dict[str, Any]]:
    faults: dict[str, Any] = {}
    for name, table in tables.items():
        key = table.column_names[0]
        n = table.num_rows
        if name == "sessions":  # faults only on browse sessions, so no trip loses its booking
            pool = np.flatnonzero(np.asarray(pc.is_null(table["trip_id"])))
        else:
            pool = np.arange(n)
        bad, nulls = _UNPARSABLE[name], _MISPLACED_NULLS[name]
        wanted = len(bad) + len(nulls) + _DUPLICATES[name]
        rows = np.sort(rng.choice(pool, size=min(wanted, len(pool)), replace=False))
        rng.shuffle(rows)
        keys = table[key]
        entry: dict[str, Any] = {"unparsable_rows": [], "null_values": [], "duplicate_rows": []}
        cols = {c: table[c] for c in table.column_names}
        it = iter(rows.tolist())
        for column, value in bad:
            row = next(it, None)
            if row is None:
                break
            cols[column] = _set(pc.cast(cols[column], pa.string()), row, pa.scalar(value))
            entry["unparsable_rows"].append(
                {"line": row + 2, "key": keys[row].as_py(), "column": column, "value": value}
            )
        for column in nulls:
            row = next(it, None)
            if row is None:
                break
            cols[column] = _set(cols[column], row, pa.scalar(None, cols[column].type))
            entry["null_values"].append({"line": row + 2, "key": keys[row].as_py(), "column": column})
        dupes = list(it)
        faulty = pa.table(cols)
        if dupes:
            faulty = pa.concat_tables([faulty, faulty.take(dupes)])
            entry["duplicate_rows"] = [
                {"line": n + 2 + i, "duplicate_of_line": row + 2, "key": keys[row].as_py()}
                for i, row in enumerate(dupes)
            ]
        if name == "sessions":
            entry["orphan_trip_ids"] = _orphan_trip_ids(tables["sessions"], a, orphans)
        entry["counts"] = {k: len(v) for k, v in entry.items()}
        faults[name] = entry
        tables = {**tables, name: faulty}
    return tables, faults


def _set(column: pa.ChunkedArray, row: int, value: pa.Scalar) -> pa.ChunkedArray:
    mask = np.zeros(len(column), dtype=bool)
    mask[row] = True
    return pc.if_else(pa.array(mask), value, column)


def _orphan_trip_ids(sessions: pa.Table, a: SampleArrays, orphans: np.ndarray) -> list[str]:
    rows = np.flatnonzero(np.isin(a.sessions["trip"], np.flatnonzero(orphans)))
    return sorted(set(sessions["trip_id"].take(pa.array(rows)).to_pylist()))
