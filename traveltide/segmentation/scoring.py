"""Give users a segment from a saved model without clustering again: every user with sessions in
the window, in the cohort or not (``traveltide score``).

Each user goes to the nearest saved centre, in the saved scaling, and gets that segment's id,
name and perk, the distance to the centre, and the per-perk scores (percentiles within the users
scored, as in a run). A user with no behaviour the model reads (every input 0: no bag, no
cancellation, no discount, no hotel night, no bundle) is not placed by distance: the default
rule gives them the largest segment whose perk is *Exclusive discounts* (a discount can be used
by anyone), or the largest segment when no segment has it, and marks them ``basis = 'default'``.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from traveltide.contract.gold import PERK_NAMES
from traveltide.segmentation import perks as perk_rules
from traveltide.segmentation.features import read_features
from traveltide.segmentation.model import SavedModel

__all__ = ["DEFAULT_PERK", "score_users"]

DEFAULT_PERK = PERK_NAMES[2]  # Exclusive discounts


def _default_position(model: SavedModel, sizes: np.ndarray) -> int:
    with_perk = [i for i, s in enumerate(model.segments) if s["perk"] == DEFAULT_PERK]
    pool = with_perk or list(range(model.k))
    return max(pool, key=lambda i: (sizes[i], -i))


def score_users(*, con: duckdb.DuckDBPyConnection, model: SavedModel, min_sessions: int) -> pa.Table:
    """One row per user of gold.user_features (built with ``min_sessions`` 1): segment, perk,
    scores, distance, whether the user is in the cohort (``min_sessions`` or more sessions)."""
    columns_needed = (*model.features, *perk_rules.DRIVER_FEATURES, "total_sessions")
    user_ids, columns = read_features(con=con, columns=columns_needed)
    x = np.column_stack([columns[f] for f in model.features])
    position, distance = model.nearest(x=x)
    no_behaviour: np.ndarray = np.asarray(~x.any(axis=1), dtype=bool)
    sizes = np.bincount(position[~no_behaviour], minlength=model.k)
    position = np.where(no_behaviour, _default_position(model, sizes), position)
    percentiles = {f: perk_rules.percentile_ranks(values=columns[f]) for f in perk_rules.DRIVER_FEATURES}
    scores = perk_rules.perk_scores(percentiles=percentiles)
    segment = model.segments
    data: dict[str, Any] = {
        "user_id": pa.array(user_ids, pa.int32()),
        "segment_id": pa.array([int(segment[p]["segment_id"]) for p in position], pa.int32()),
        "segment_name": [segment[p]["segment_name"] for p in position],
        "perk": [segment[p]["perk"] for p in position],
        "in_cohort": pa.array(columns["total_sessions"] >= min_sessions),
        "basis": ["default" if d else "nearest centre" for d in no_behaviour.tolist()],
        "distance": pa.array(distance, mask=no_behaviour),
    }
    for j, p in enumerate(perk_rules.PERKS):
        data[p.score_column] = scores[:, j]
    return pa.table(data)
