"""How stable a run's segments are: would a resample of the cohort give the same ones?

Each round draws a bootstrap resample of the cohort (with replacement, at most
:data:`STABILITY_SAMPLE` users, its own seed), fits k-means with the run's k on it and assigns
every user of one fixed evaluation sample to the nearest of the new centres. Two measures
compare those labels with the run's segments:

- the **adjusted Rand index** (ARI; 1 = the same partition, 0 = chance agreement), averaged
  over rounds, for the whole segmentation;
- per segment, the **Jaccard overlap** of the segment with its best-matching new cluster
  (Hennig's cluster-wise stability), averaged over rounds: below 0.5 a segment "dissolves",
  above 0.75 it is stable.

A run warns when the mean ARI is below ``stability_threshold`` (0.6 by default) or a segment's
overlap is below 0.5.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

__all__ = ["DISSOLVED", "STABILITY_SAMPLE", "Stability", "measure_stability"]

# Users per resample and in the evaluation sample: k-means on more would add time, not precision.
STABILITY_SAMPLE = 20_000
# A segment whose mean best overlap is below this has dissolved (Hennig 2007).
DISSOLVED = 0.5
_N_INIT = 3


@dataclass(frozen=True, slots=True)
class Stability:
    """Mean and spread of the ARI over rounds, each segment's mean overlap, and the warnings."""

    rounds: int
    sample: int
    mean_ari: float | None
    min_ari: float | None
    segment_overlap: dict[int, float]
    threshold: float
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["segment_overlap"] = {str(s): v for s, v in self.segment_overlap.items()}
        return out


def measure_stability(*, z: np.ndarray, seg: np.ndarray, k: int, rounds: int, seed: int, threshold: float) -> Stability:
    """Bootstrap stability of the segmentation ``seg`` (positions 0..k-1) of the scaled inputs ``z``."""
    n = len(z)
    rng = np.random.default_rng(seed)
    evaluate = np.sort(rng.choice(n, size=STABILITY_SAMPLE, replace=False)) if n > STABILITY_SAMPLE else np.arange(n)
    size = min(n, STABILITY_SAMPLE)
    aris: list[float] = []
    overlaps = np.zeros((rounds, k))
    with threadpool_limits(limits=1):
        for r in range(rounds):
            draw = rng.integers(0, n, size=size)
            fit = KMeans(n_clusters=k, n_init=_N_INIT, random_state=seed + 1 + r).fit(z[draw])
            new = fit.predict(z[evaluate])
            old = seg[evaluate]
            aris.append(float(adjusted_rand_score(old, new)))
            overlaps[r] = _best_jaccard(old=old, new=new, k=k)
    overlap = {s + 1: float(overlaps[:, s].mean()) for s in range(k)} if rounds else {}
    mean_ari = float(np.mean(aris)) if aris else None
    warnings = []
    if mean_ari is not None and mean_ari < threshold:
        warnings.append(
            f"segments are unstable: mean adjusted Rand index {mean_ari:.2f} over {rounds} resamples, "
            f"below stability_threshold {threshold}; try another k (--k auto) before acting on them"
        )
    dissolved = [s for s, v in overlap.items() if v < DISSOLVED]
    if dissolved:
        warnings.append(
            f"segment(s) {', '.join(map(str, dissolved))} dissolve under resampling "
            f"(mean best overlap below {DISSOLVED}): treat their perks as provisional"
        )
    return Stability(
        rounds=rounds,
        sample=len(evaluate),
        mean_ari=mean_ari,
        min_ari=float(np.min(aris)) if aris else None,
        segment_overlap=overlap,
        threshold=threshold,
        warnings=tuple(warnings),
    )


def _best_jaccard(*, old: np.ndarray, new: np.ndarray, k: int) -> np.ndarray:
    """For each old segment, the largest Jaccard overlap with any new cluster."""
    table = np.zeros((k, k))
    np.add.at(table, (old, new), 1)
    old_sizes = table.sum(axis=1, keepdims=True)
    new_sizes = table.sum(axis=0, keepdims=True)
    union = old_sizes + new_sizes - table
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = np.where(union > 0, table / union, 0.0)
    return jaccard.max(axis=1)
