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

__all__ = ["ABOVE", "BELOW", "SensitivityRow", "cohort_sensitivity", "thresholds"]

BELOW, ABOVE = 2, 3
_SCRATCH = "sensitivity_scratch"


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
) -> list[SensitivityRow]:
    """Cohort size and offered-perk shares at each of :func:`thresholds` (``con``: the run's database)."""
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
        _, columns = read_features(con=cur, columns=columns_needed)
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
