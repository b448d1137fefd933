"""The segmentation's two gold tables as Arrow tables (gold.segments, gold.user_segments), for the
build to write with their contract's types and keys."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from traveltide.contract.gold import PROFILE_FEATURES
from traveltide.segmentation import perks as perk_rules
from traveltide.segmentation.summary import SegmentSummary

__all__ = ["segments_table", "user_segments_table"]


def segments_table(
    *, summaries: list[SegmentSummary], profile: np.ndarray, score_means: np.ndarray, not_offered: str
) -> pa.Table:
    data: dict[str, Any] = {
        "segment_id": pa.array([s.segment_id for s in summaries], pa.int32()),
        "segment_name": [s.segment_name for s in summaries],
        "perk": [s.perk for s in summaries],
        "users": pa.array([s.users for s in summaries], pa.int64()),
        "share": [s.share for s in summaries],
        "reason": [s.reason for s in summaries],
        "eligible_users": pa.array([s.eligible_users for s in summaries], pa.int64()),
        "perks_not_offered": [not_offered] * len(summaries),
        "treatment_users": pa.array([s.treatment_users for s in summaries], pa.int64()),
        "control_users": pa.array([s.control_users for s in summaries], pa.int64()),
        "baseline_booking_rate": [s.baseline_booking_rate for s in summaries],
        "mde_booking_rate": pa.array([s.mde_booking_rate for s in summaries], pa.float64()),
        "stability": pa.array([s.stability for s in summaries], pa.float64()),
    }
    for j, f in enumerate(PROFILE_FEATURES):
        data[f] = profile[:, j]
    for j, p in enumerate(perk_rules.PERKS):
        data[p.score_column] = score_means[:, j]
    return pa.table(data)


def user_segments_table(
    *,
    user_ids: np.ndarray,
    seg: np.ndarray,
    summaries: list[SegmentSummary],
    scores: np.ndarray,
    user_perk: np.ndarray,
    offered: np.ndarray,
    offer_reasons: list[str],
    groups: np.ndarray,
) -> pa.Table:
    perk_names = np.array([p.name for p in perk_rules.PERKS], dtype=object)
    second = perk_rules.runner_up(scores=scores, assigned=user_perk)
    data: dict[str, Any] = {
        "user_id": pa.array(user_ids, pa.int32()),
        "segment_id": pa.array(seg + 1, pa.int32()),
        "segment_name": np.array([s.segment_name for s in summaries], dtype=object)[seg],
        "perk": perk_names[user_perk],
        "perk_score": scores[np.arange(len(seg)), user_perk],
        "runner_up_perk": perk_names[second],
        "offered_perk": pa.array(np.where(offered >= 0, perk_names[np.maximum(offered, 0)], None), pa.string()),
        "offer_reason": offer_reasons,
        "experiment_group": groups,
    }
    for j, p in enumerate(perk_rules.PERKS):
        data[p.score_column] = scores[:, j]
    return pa.table(data)
