"""Segment the cohort by behaviour and give every segment and user a perk (SPEC §3).

The inputs and their scaling are in :mod:`~traveltide.segmentation.features`, the model and
the choice of k in :mod:`~traveltide.segmentation.clustering`, the perks, names and reasons in
:mod:`~traveltide.segmentation.perks`. Segment ids come from behaviour, never from the k-means
label: ordered by perk (in :data:`traveltide.segmentation.perks.PERKS` order), then by size
(largest first).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np

from traveltide.build import build_tables
from traveltide.contract.gold import PROFILE_FEATURES, SEGMENTS, USER_SEGMENTS
from traveltide.segmentation import perks as perk_rules
from traveltide.segmentation import tables
from traveltide.segmentation.clustering import (
    SILHOUETTE_SAMPLE,
    canonical_labels,
    cluster,
)
from traveltide.segmentation.diagnostics import draw_diagnostics
from traveltide.segmentation.features import FEATURES, group_means, read_features, scale
from traveltide.segmentation.summary import SegmentationResult, SegmentSummary

__all__ = ["segment_users"]


def segment_users(
    *,
    con: duckdb.DuckDBPyConnection,
    k: int | None,
    k_min: int,
    k_max: int,
    min_segment_size: int,
    seed: int,
    plots_dir: Path | None,
) -> SegmentationResult:
    """Cluster gold.user_features, pick perks, write gold.segments and gold.user_segments.

    ``k = None`` chooses k in ``[k_min, k_max]`` by silhouette, never keeping a segment of fewer
    than ``min_segment_size`` users. With ``plots_dir`` the
    diagnostics of :func:`draw_diagnostics` are added (the flow draws them in the background
    instead, beside the steps that follow).
    """
    result = _segment(con=con, k=k, k_min=k_min, k_max=k_max, min_segment_size=min_segment_size, seed=seed)
    if plots_dir is None:
        return result
    found = draw_diagnostics(
        con=con,
        k=result.k,
        k_selection=result.k_selection,
        candidates=result.candidates,
        k_min=k_min,
        k_max=k_max,
        min_segment_size=min_segment_size,
        seed=seed,
        plots_dir=plots_dir,
    )
    return replace(result, candidates=found.candidates, plots=found.plots)


def _segment(
    *, con: duckdb.DuckDBPyConnection, k: int | None, k_min: int, k_max: int, min_segment_size: int, seed: int
) -> SegmentationResult:
    user_ids, columns = read_features(con=con, columns=(*FEATURES, *PROFILE_FEATURES, *perk_rules.DRIVER_FEATURES))
    n = len(user_ids)
    z, scaler = scale(x=np.column_stack([columns[f] for f in FEATURES]))
    candidates, chosen, how, model = cluster(
        z=z, k=k, k_min=k_min, k_max=k_max, min_segment_size=min_segment_size, seed=seed, curve=False
    )
    percentiles = {f: perk_rules.percentile_ranks(values=columns[f]) for f in columns}
    scores = perk_rules.perk_scores(percentiles=percentiles)
    seg, seg_perk, seg_affinity = perk_rules.segments_by_perk(
        labels=canonical_labels(model=model, k=chosen), scores=scores, k=chosen
    )

    profile = group_means(values=np.column_stack([columns[f] for f in PROFILE_FEATURES]), groups=seg, k=chosen)
    cohort = np.array([columns[f].mean() for f in PROFILE_FEATURES])
    deviation = (
        group_means(values=np.column_stack([percentiles[f] for f in PROFILE_FEATURES]), groups=seg, k=chosen) - 50.0
    )
    fits_perk = seg_affinity[np.arange(chosen), seg_perk] >= perk_rules.FIT_MARGIN
    names = perk_rules.name_segments(
        deviation=deviation,
        features=PROFILE_FEATURES,
        preferred=[perk_rules.PERKS[p].drivers if f else () for p, f in zip(seg_perk, fits_perk, strict=True)],
    )
    sizes = np.bincount(seg, minlength=chosen)
    summaries = []
    for s in range(chosen):
        perk = perk_rules.PERKS[seg_perk[s]]
        j = PROFILE_FEATURES.index(perk.headline)
        summaries.append(
            SegmentSummary(
                segment_id=s + 1,
                segment_name=names[s],
                perk=perk.name,
                users=int(sizes[s]),
                share=float(sizes[s] / n),
                reason=perk_rules.reason(
                    perk=perk,
                    segment_value=float(profile[s, j]),
                    cohort_value=float(cohort[j]),
                    fits=bool(fits_perk[s]),
                ),
            )
        )

    build_tables(
        con=con,
        tables=(SEGMENTS, USER_SEGMENTS),
        frames={
            SEGMENTS.name: tables.segments_table(summaries=summaries, profile=profile, score_means=seg_affinity + 50.0),
            USER_SEGMENTS.name: tables.user_segments_table(
                user_ids=user_ids, seg=seg, summaries=summaries, scores=scores, user_perk=seg_perk[seg]
            ),
        },
    )
    return SegmentationResult(
        k=chosen,
        k_selection=how,
        min_segment_size=min_segment_size,
        candidates=candidates,
        silhouette=next(c.silhouette for c in candidates if c.k == chosen),
        silhouette_sample=min(n, SILHOUETTE_SAMPLE),
        users=n,
        segments=tuple(summaries),
        features=FEATURES,
        scaler=scaler,
        seed=seed,
    )
