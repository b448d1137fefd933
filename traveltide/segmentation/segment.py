"""Segment the cohort by behaviour and give every segment and user a perk (SPEC §3).

The inputs and their scaling are in :mod:`~traveltide.segmentation.features`, the model and
the choice of k in :mod:`~traveltide.segmentation.clustering`, the perks, names and reasons in
:mod:`~traveltide.segmentation.perks`. Segment ids come from behaviour, never from the k-means
label: ordered by perk (in :data:`traveltide.segmentation.perks.PERKS` order), then by size
(largest first).

With a saved model (:mod:`~traveltide.segmentation.model`) of the same settings and no drift,
the cohort is *scored*: each user goes to the nearest saved centre, so the same behaviour keeps
its segment id, name and perk. A refit (asked, a shaping setting changed, an input drifted
beyond ``drift_threshold``, a saved segment left empty) matches its segments to the saved
ones by centre distance: a segment that persists with the same perk keeps its id and name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import numpy as np
from scipy.optimize import linear_sum_assignment

from traveltide.build import build_tables
from traveltide.contract.gold import PROFILE_FEATURES, SEGMENTS, USER_SEGMENTS
from traveltide.segmentation import experiment, offers, tables
from traveltide.segmentation import perks as perk_rules
from traveltide.segmentation.clustering import (
    SILHOUETTE_SAMPLE,
    KCandidate,
    canonical_labels,
    cluster,
    silhouette_sample,
    silhouettes,
)
from traveltide.segmentation.diagnostics import draw_diagnostics, read_diagnostic_inputs
from traveltide.segmentation.features import FEATURES, SegmentationError, group_means, read_features, scale
from traveltide.segmentation.model import SavedModel, new_model, psi, shaping_settings
from traveltide.segmentation.stability import measure_stability
from traveltide.segmentation.summary import ModelDecision, SegmentationResult, SegmentSummary
from traveltide.settings import Settings

__all__ = ["Campaign", "segment_users"]


# A refitted segment and a saved one are the same segment when their centres are at most this
# far apart (z-score units; one standard deviation across the inputs) and they carry the same perk.
MATCH_DISTANCE = 1.0


@dataclass(frozen=True, slots=True)
class Campaign:
    """The settings of the perk rules, the campaign split and the stability check (see Settings)."""

    perk_min_users: int
    perk_min_share: float
    control_share: float
    experiment_salt: str
    stability_rounds: int
    stability_threshold: float

    @classmethod
    def of(cls, settings: Settings) -> Campaign:
        """From the run's settings; an unset perk_min_users is min_segment_size (a perk needs as
        many users showing its behaviour as a segment needs members)."""
        values = {f: getattr(settings, f) for f in cls.__dataclass_fields__}
        if values["perk_min_users"] is None:
            values["perk_min_users"] = settings.min_segment_size
        return cls(**values)


def segment_users(
    *,
    con: duckdb.DuckDBPyConnection,
    k: int | None,
    k_min: int,
    k_max: int,
    min_segment_size: int,
    seed: int,
    plots_dir: Path | None,
    previous: SavedModel | None = None,
    refit: bool = False,
    drift_threshold: float = 0.25,
    run_id: str = "",
    campaign: Campaign | None = None,
) -> SegmentationResult:
    """Cluster (or score with ``previous``) gold.user_features, pick perks, write gold.segments
    and gold.user_segments; the result carries the model to save.

    ``k = None`` chooses k in ``[k_min, k_max]`` by silhouette, never keeping a segment of fewer
    than ``min_segment_size`` users. With ``plots_dir`` the
    diagnostics of :func:`draw_diagnostics` are added (the flow draws them in the background
    instead, beside the steps that follow).
    """
    result = _segment(
        con=con,
        k=k,
        k_min=k_min,
        k_max=k_max,
        min_segment_size=min_segment_size,
        seed=seed,
        previous=previous,
        refit=refit,
        drift_threshold=drift_threshold,
        run_id=run_id,
        campaign=campaign or Campaign.of(Settings.model_construct(min_segment_size=min_segment_size)),
    )
    if plots_dir is None:
        return result
    found = draw_diagnostics(
        inputs=read_diagnostic_inputs(con=con),
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


def _decide(
    *, previous: SavedModel | None, shaping: dict, x: np.ndarray, refit: bool, drift_threshold: float
) -> ModelDecision:
    """Score with the saved model or fit anew, and why."""
    if previous is None:
        return ModelDecision(mode="fitted", why="no saved model (first run, or exports/model/model.json absent)")
    stability = psi(model=previous, x=x)
    changed = [
        f"{name} {previous.settings.get(name)!r} -> {value!r}"
        for name, value in shaping.items()
        if previous.settings.get(name) != value
    ]
    worst = max(stability, key=lambda f: stability[f])
    if refit:
        why = "asked (--refit)"
    elif changed:
        why = "setting(s) changed: " + ", ".join(changed)
    elif stability[worst] > drift_threshold:
        why = f"drift: the PSI of {worst} is {stability[worst]:.2f}, above drift_threshold {drift_threshold}"
    else:
        return ModelDecision(
            mode="scored",
            why=f"the saved model of run {previous.run_id} fits (same settings, largest PSI {stability[worst]:.2f})",
            previous_run=previous.run_id,
            psi=stability,
        )
    return ModelDecision(mode="refitted", why=why, previous_run=previous.run_id, psi=stability)


def _segment(
    *,
    con: duckdb.DuckDBPyConnection,
    k: int | None,
    k_min: int,
    k_max: int,
    min_segment_size: int,
    seed: int,
    previous: SavedModel | None,
    refit: bool,
    drift_threshold: float,
    run_id: str,
    campaign: Campaign,
) -> SegmentationResult:
    user_ids, columns = read_features(
        con=con,
        columns=(*FEATURES, *PROFILE_FEATURES, *perk_rules.DRIVER_FEATURES, *offers.USAGE_FEATURES, "conversion_rate"),
    )
    n = len(user_ids)
    x = np.column_stack([columns[f] for f in FEATURES])
    shaping = shaping_settings(k=k, k_min=k_min, k_max=k_max, min_segment_size=min_segment_size, seed=seed)
    decision = _decide(previous=previous, shaping=shaping, x=x, refit=refit, drift_threshold=drift_threshold)
    percentiles = {f: perk_rules.percentile_ranks(values=columns[f]) for f in columns}
    scores = perk_rules.perk_scores(percentiles=percentiles)
    perk_index = {p.name: i for i, p in enumerate(perk_rules.PERKS)}
    support = offers.perk_support(columns=columns, min_users=campaign.perk_min_users, min_share=campaign.perk_min_share)
    supported = np.array([s.supported for s in support])
    if not supported.any():
        raise SegmentationError(
            "no perk is supported by this cohort's behaviour: "
            + "; ".join(s.reason.removeprefix("Not offered: ").rstrip(".") for s in support)
            + ". Widen the cohort (--min-sessions, --start-date) or lower perk_min_users / perk_min_share."
        )

    carried: dict[int, str] = {}
    if decision.mode == "scored" and previous is not None:
        seg, distance = previous.nearest(x=x)
        sizes = np.bincount(seg, minlength=previous.k)
        if (sizes == 0).any():
            empty = int(np.flatnonzero(sizes == 0)[0]) + 1
            decision = replace(decision, mode="refitted", why=f"segment {empty} of the saved model would be empty")
        dropped = [sg["perk"] for sg in previous.segments if not supported[perk_index[sg["perk"]]]]
        if decision.mode == "scored" and dropped:
            decision = replace(
                decision, mode="refitted", why=f"the saved perk {dropped[0]!r} is not supported by this cohort"
            )
    if decision.mode == "scored" and previous is not None:
        chosen, how = previous.k, previous.k_selection
        z = previous.scaled(x=x)
        scaler = {
            "method": "the saved model's",
            "log1p_features": list(previous.log1p_features),
            "mean": previous.mean,
            "scale": previous.scale,
        }
        sample = silhouette_sample(n=n, seed=seed)
        sil = silhouettes(points=z[sample], labels={chosen: seg[sample]})[chosen]
        candidates: tuple[KCandidate, ...] = (
            KCandidate(k=chosen, inertia=float((distance**2).sum()), silhouette=sil, smallest=int(sizes.min())),
        )
        seg_perk = np.array([perk_index[s["perk"]] for s in previous.segments])
        seg_affinity = group_means(values=scores, groups=seg, k=chosen) - 50.0
        carried = {i: s["segment_name"] for i, s in enumerate(previous.segments)}
    else:
        z, scaler = scale(x=x)
        candidates, chosen, how, fitted = cluster(
            z=z, k=k, k_min=k_min, k_max=k_max, min_segment_size=min_segment_size, seed=seed, curve=False
        )
        seg, seg_perk, seg_affinity = perk_rules.segments_by_perk(
            labels=canonical_labels(model=fitted, k=chosen), scores=scores, k=chosen, supported=supported
        )
        if previous is not None:
            seg, seg_perk, seg_affinity, carried = _match(
                previous=previous, z=z, scaler=scaler, seg=seg, seg_perk=seg_perk, seg_affinity=seg_affinity, k=chosen
            )
        # The saved centres are k-means' own (its labels are the nearest of them), so scoring
        # this very data with the saved model gives every user the segment the fit gave.
        position_of_label = np.empty(chosen, dtype=int)
        position_of_label[fitted.labels_] = seg
        centres = np.empty_like(fitted.cluster_centers_)
        centres[position_of_label] = fitted.cluster_centers_

    profile = group_means(values=np.column_stack([columns[f] for f in PROFILE_FEATURES]), groups=seg, k=chosen)
    cohort = np.array([columns[f].mean() for f in PROFILE_FEATURES])
    deviation = (
        group_means(values=np.column_stack([percentiles[f] for f in PROFILE_FEATURES]), groups=seg, k=chosen) - 50.0
    )
    fits_perk = seg_affinity[np.arange(chosen), seg_perk] >= perk_rules.FIT_MARGIN
    names = perk_rules.name_segments(deviation=deviation, features=PROFILE_FEATURES, perks=seg_perk.tolist())
    names = _keep_names(names=names, carried=carried)
    sizes = np.bincount(seg, minlength=chosen)
    user_perk = seg_perk[seg]
    eligible = offers.eligibility(columns=columns, supported=supported)
    offered, offer_reasons = offers.offers(user_perk=user_perk, eligible=eligible, scores=scores)
    groups = experiment.assign_groups(
        user_ids=user_ids, seg=seg, control_share=campaign.control_share, salt=campaign.experiment_salt
    )
    stability = (
        measure_stability(
            z=z, seg=seg, k=chosen, rounds=campaign.stability_rounds, seed=seed, threshold=campaign.stability_threshold
        )
        if campaign.stability_rounds
        else None
    )
    booking_rate = columns["conversion_rate"]
    summaries = []
    for s in range(chosen):
        perk = perk_rules.PERKS[seg_perk[s]]
        j = PROFILE_FEATURES.index(perk.headline)
        members = seg == s
        control = int((groups[members] == experiment.CONTROL).sum())
        baseline = float(booking_rate[members].mean())
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
                eligible_users=int((offered[members] == seg_perk[s]).sum()),
                treatment_users=int(sizes[s]) - control,
                control_users=control,
                baseline_booking_rate=baseline,
                mde_booking_rate=experiment.minimum_detectable_effect(
                    sd=float(booking_rate[members].std(ddof=1)) if sizes[s] > 1 else 0.0,
                    treatment=int(sizes[s]) - control,
                    control=control,
                ),
                stability=stability.segment_overlap[s + 1] if stability else None,
            )
        )
    not_offered = [sp for sp in support if not sp.supported] + [offers.HOTEL_MEAL]

    build_tables(
        con=con,
        tables=(SEGMENTS, USER_SEGMENTS),
        frames={
            SEGMENTS.name: tables.segments_table(
                summaries=summaries,
                profile=profile,
                score_means=seg_affinity + 50.0,
                not_offered="; ".join(f"{sp.perk}: {sp.reason}" for sp in not_offered),
            ),
            USER_SEGMENTS.name: tables.user_segments_table(
                user_ids=user_ids,
                seg=seg,
                summaries=summaries,
                scores=scores,
                user_perk=user_perk,
                offered=offered,
                offer_reasons=offer_reasons,
                groups=groups,
            ),
        },
    )
    model = (
        previous
        if decision.mode == "scored" and previous is not None
        else new_model(
            run_id=run_id,
            scaler=scaler,
            k_selection=how,
            segments=[
                {
                    "segment_id": s.segment_id,
                    "segment_name": s.segment_name,
                    "perk": s.perk,
                    "centroid": {f: float(centres[s.segment_id - 1, j]) for j, f in enumerate(FEATURES)},
                }
                for s in summaries
            ],
            settings=shaping,
            user_ids=user_ids,
            x=x,
        )
    )
    return SegmentationResult(
        k=chosen,
        k_selection=how,  # type: ignore[arg-type]
        min_segment_size=min_segment_size,
        candidates=candidates,
        silhouette=next(c.silhouette for c in candidates if c.k == chosen),
        silhouette_sample=min(n, SILHOUETTE_SAMPLE),
        users=n,
        segments=tuple(summaries),
        features=FEATURES,
        scaler=scaler,
        seed=seed,
        decision=decision,
        model=model,
        perk_support=(*support, offers.HOTEL_MEAL),
        offers={
            **{p.name: int((offered == i).sum()) for i, p in enumerate(perk_rules.PERKS)},
            "none": int((offered < 0).sum()),
        },
        stability=stability,
        experiment={
            "control_share": campaign.control_share,
            "salt": campaign.experiment_salt,
            "alpha": experiment.ALPHA,
            "power": experiment.POWER,
            "metric": "booking rate per visit (conversion_rate): booking sessions / non-cancellation sessions, "
            "averaged over the group's users",
        },
    )


def _match(
    *,
    previous: SavedModel,
    z: np.ndarray,
    scaler: dict,
    seg: np.ndarray,
    seg_perk: np.ndarray,
    seg_affinity: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[int, str]]:
    """Renumber a refit's segments so that each one matching a saved segment (centres within
    :data:`MATCH_DISTANCE`, same perk) takes its id and name; the others fill the free ids."""
    centres = group_means(values=z, groups=seg, k=k)
    mean = np.array([scaler["mean"][f] for f in FEATURES])
    scale_ = np.array([scaler["scale"][f] for f in FEATURES])
    old_mean = np.array([previous.mean[f] for f in FEATURES])
    old_scale = np.array([previous.scale[f] for f in FEATURES])
    saved = (previous.centroids() * old_scale + old_mean - mean) / scale_  # the saved centres in this scale
    distance = np.sqrt(((centres[:, None, :] - saved[None, :, :]) ** 2).sum(axis=2))
    rows, cols = linear_sum_assignment(distance)
    perk_names = [p.name for p in perk_rules.PERKS]
    final = np.full(k, -1)
    carried: dict[int, str] = {}
    for r, c in zip(rows, cols, strict=True):
        target = int(previous.segments[c]["segment_id"]) - 1
        same = previous.segments[c]["perk"] == perk_names[seg_perk[r]]
        if distance[r, c] <= MATCH_DISTANCE and same and target < k:
            final[r] = target
            carried[target] = str(previous.segments[c]["segment_name"])
    free = iter(sorted(set(range(k)) - set(final[final >= 0].tolist())))
    for r in range(k):
        if final[r] < 0:
            final[r] = next(free)
    perk_final = np.empty_like(seg_perk)
    perk_final[final] = seg_perk
    affinity_final = np.empty_like(seg_affinity)
    affinity_final[final] = seg_affinity
    return final[seg], perk_final, affinity_final, carried


def _keep_names(*, names: list[str], carried: dict[int, str]) -> list[str]:
    """The carried names where a segment persisted; a new name that repeats one gets a number."""
    out = [carried.get(i, name) for i, name in enumerate(names)]
    kept = set(carried.values())
    for i, name in enumerate(out):
        if i not in carried and name in kept:
            out[i] = next(f"{name} {j}" for j in range(2, len(out) + 3) if f"{name} {j}" not in out)
    return out
