"""How the cohort and its perks change when ``min_sessions`` moves around its setting.

The cohort rule is a choice (at least ``min_sessions`` window sessions), so the report shows what
another choice would give: for each threshold from ``min_sessions - 2`` to ``min_sessions + 3``
(5 to 10 for the default 7), the cohort size and the share of users offered each perk. Gold is
built once more, for the lowest threshold, into a scratch in-memory catalog beside the run's
database (the run's own tables are not touched); every user is placed with this run's model (the
nearest saved centre), and support, eligibility and fit scores are computed within each
threshold's cohort, as a run would. Only the scratch cohort is a table; its sessions, trips and
features are views, computed once as the features are read (measured alone on a real-scale run's
database: 2.5 s and a peak RSS of 1.58 GiB, against 3.4 s and 1.75 GiB with every table held).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np

from traveltide.build import build_layer
from traveltide.segmentation import offers
from traveltide.segmentation import perks as perk_rules
from traveltide.segmentation.features import read_features
from traveltide.segmentation.model import SavedModel

__all__ = ["ABOVE", "BELOW", "USERS_PER_PART", "SensitivityRow", "cohort_sensitivity", "thresholds"]

BELOW, ABOVE = 2, 3
_SCRATCH = "sensitivity_scratch"
# Most scratch cohort users whose features are computed at once: the real scale's 192 k in two
# parts (alone: 1.54 -> 0.91 GiB peak, no slower), four times the data's 770 k in six.
USERS_PER_PART = 150_000
_SMALLEST_PART = 100  # so no part is left with fewer than the two users read_features needs


@dataclass(frozen=True, slots=True)
class SensitivityRow:
    """One threshold: its cohort size and the share of that cohort offered each perk."""

    min_sessions: int
    cohort: int
    offered_share: dict[str, float]
    unsupported: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_sessions": self.min_sessions,
            "cohort": self.cohort,
            "offered_share": self.offered_share,
            "unsupported": list(self.unsupported),
        }


def _read_in_parts(
    *, con: duckdb.DuckDBPyConnection, columns: tuple[str, ...], users_per_part: int
) -> dict[str, np.ndarray]:
    """The scratch gold's features, read for one part of its cohort at a time.

    The views of gold read ``gold.cohort`` by name when queried, so a view of one part in its
    place makes them compute that part only; the parts are put together (in no particular order:
    every later step is per user or over the whole threshold's cohort).
    """
    ((users,),) = con.execute("select count(*) from gold.cohort").fetchall()
    parts = max(1, -(-users // max(users_per_part, _SMALLEST_PART)))
    if parts == 1:
        return read_features(con=con, columns=columns)[1]
    con.execute("alter table gold.cohort rename to cohort_all").fetchall()
    pieces = []
    for part in range(parts):
        con.execute(
            f"create or replace view gold.cohort as select * from gold.cohort_all where hash(user_id) % {parts} = {part}"
        ).fetchall()
        pieces.append(read_features(con=con, columns=columns)[1])
    return {c: np.concatenate([piece[c] for piece in pieces]) for c in columns}


def thresholds(*, min_sessions: int) -> list[int]:
    """The thresholds shown around the setting (never below 1)."""
    return list(range(max(1, min_sessions - BELOW), min_sessions + ABOVE + 1))


def cohort_sensitivity(
    *,
    con: duckdb.DuckDBPyConnection,
    model: SavedModel,
    start_date: date,
    min_sessions: int,
    perk_min_users: int,
    perk_min_share: float,
    users_per_part: int = USERS_PER_PART,
) -> list[SensitivityRow]:
    """Cohort size and offered-perk shares at each of :func:`thresholds` (``con``: the run's database).

    A scratch cohort of more than ``users_per_part`` users has its features read in as many parts
    as needed (users by a hash of ``user_id``): memory follows a part, each part rescans silver.
    """
    steps = thresholds(min_sessions=min_sessions)
    cur = con.cursor()
    ((run_catalog,),) = cur.execute("select current_database()").fetchall()
    silver = [
        t
        for (t,) in cur.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema = 'silver'"
        ).fetchall()
    ]
    cur.execute(f"attach ':memory:' as {_SCRATCH}").fetchall()
    try:
        cur.execute(f"create schema {_SCRATCH}.silver").fetchall()
        for table in silver:
            cur.execute(
                f'create view {_SCRATCH}.silver."{table}" as select * from "{run_catalog}".silver."{table}"'
            ).fetchall()
        cur.execute(f"use {_SCRATCH}").fetchall()
        # Only the cohort is held: sessions, trips and features are views read once, by read_features.
        build_layer(
            con=cur,
            layer="gold",
            params={"start_date": start_date, "min_sessions": steps[0]},
            views=("sessions", "trips", "user_features"),
        )
        columns_needed = (*model.features, *perk_rules.DRIVER_FEATURES, *offers.USAGE_FEATURES, "total_sessions")
        columns = _read_in_parts(con=cur, columns=columns_needed, users_per_part=users_per_part)
    finally:
        cur.execute(f'use "{run_catalog}"').fetchall()
        cur.execute(f"detach {_SCRATCH}").fetchall()
        cur.close()
    x = np.column_stack([columns[f] for f in model.features])
    position, _ = model.nearest(x=x)
    index = {p.name: i for i, p in enumerate(perk_rules.PERKS)}
    segment_perk = np.array([index[s["perk"]] for s in model.segments])[position]
    rows = []
    for m in steps:
        keep = columns["total_sessions"] >= m
        within = {f: v[keep] for f, v in columns.items()}
        n = int(keep.sum())
        support = offers.perk_support(columns=within, min_users=perk_min_users, min_share=perk_min_share)
        supported = np.array([s.supported for s in support])
        percentiles = {f: perk_rules.percentile_ranks(values=within[f]) for f in perk_rules.DRIVER_FEATURES}
        scores = perk_rules.perk_scores(percentiles=percentiles)
        eligible = offers.eligibility(columns=within, supported=supported)
        offered, _ = offers.offers(user_perk=segment_perk[keep], eligible=eligible, scores=scores)
        shares = {p.name: float((offered == i).mean()) if n else 0.0 for i, p in enumerate(perk_rules.PERKS)}
        shares["none"] = float((offered < 0).mean()) if n else 0.0
        rows.append(
            SensitivityRow(
                min_sessions=m,
                cohort=n,
                offered_share=shares,
                unsupported=tuple(s.perk for s in support if not s.supported),
            )
        )
    return rows
