"""k-means on the scaled features, the choice of k and the silhouettes (SPEC §3).


Model: k-means (``n_init`` = 10, fixed seed) on rows sorted by ``user_id``, so the same data
in any row order gives the same segments. With ``k = None``, k is the one in
``[k_min, k_max]`` with the highest silhouette (measured on one fixed-seed sample of at
most :data:`SILHOUETTE_SAMPLE` users; ties go to the smaller k) among the k whose every
segment has at least ``min_segment_size`` users; inertia is recorded for the elbow picture.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from traveltide.segmentation.features import SOURCE, SegmentationError

__all__ = ["SILHOUETTE_SAMPLE", "KCandidate", "canonical_labels", "cluster", "silhouette_sample", "silhouettes"]

SILHOUETTE_SAMPLE = 10_000
_N_INIT = 10


@dataclass(frozen=True, slots=True)
class KCandidate:
    """One k that was fitted: its inertia, silhouette (None when undefined) and smallest segment."""

    k: int
    inertia: float
    silhouette: float | None
    smallest: int


def cluster(
    *, z: np.ndarray, k: int | None, k_min: int, k_max: int, min_segment_size: int, seed: int, curve: bool
) -> tuple[tuple[KCandidate, ...], int, Literal["fixed", "silhouette"], KMeans]:
    """Fit k-means for every k to try; pick the fixed k or the best silhouette of the k whose
    segments all reach ``min_segment_size`` (a segment too small for a campaign is no segment)."""
    n = len(z)
    distinct = len(np.unique(z, axis=0))
    ks = _ks_to_try(k=k, k_min=k_min, k_max=k_max, users=n, distinct=distinct, curve=curve)
    sample = silhouette_sample(n=n, seed=seed)
    # One OpenMP/BLAS thread per fit: on a busy machine oversubscription made k-means 8x
    # slower (measured). The fits of the k range are independent, so two run at a time
    # (k-means leaves the GIL in its inner loop); each has its own seed, so the results do
    # not depend on the order they finish in.
    with threadpool_limits(limits=1), ThreadPoolExecutor(max_workers=2) as pool:
        fitted = [pool.submit(_fit, z=z, k=kk, seed=seed) for kk in ks]
        fits = {kk: f.result() for kk, f in zip(ks, fitted, strict=True)}
        sil = silhouettes(points=z[sample], labels={kk: m.labels_[sample] for kk, m in fits.items()})
    candidates = tuple(
        KCandidate(
            k=kk,
            inertia=float(m.inertia_),
            silhouette=sil[kk],
            smallest=int(np.bincount(m.labels_, minlength=kk).min()),
        )
        for kk, m in fits.items()
    )
    if k is not None:
        return candidates, k, "fixed", fits[k]
    allowed = [c for c in candidates if c.smallest >= min_segment_size]
    if not allowed:
        raise SegmentationError(
            f"no k in [{k_min}, {k_max}] gives segments of at least {min_segment_size} users "
            f"(min_segment_size) among the {n} users of {SOURCE}: lower min_segment_size, "
            "set a fixed --k, or widen the cohort"
        )
    best = max(allowed, key=lambda c: (-np.inf if c.silhouette is None else c.silhouette, -c.k))
    return candidates, best.k, "silhouette", fits[best.k]


def _fit(*, z: np.ndarray, k: int, seed: int) -> KMeans:
    # OpenMP's thread count is per thread: a pool thread sets its own.
    with threadpool_limits(limits=1, user_api="openmp"):
        return KMeans(n_clusters=k, n_init=_N_INIT, random_state=seed).fit(z)


def canonical_labels(*, model: KMeans, k: int) -> np.ndarray:
    """Cluster labels renumbered by behaviour (size, then centroid), independent of k-means' numbering."""
    sizes = np.bincount(model.labels_, minlength=k)
    canon = sorted(range(k), key=lambda c: (-sizes[c], tuple(np.round(model.cluster_centers_[c], 9))))
    renumber = np.empty(k, dtype=int)
    renumber[canon] = np.arange(k)
    return renumber[model.labels_]


def _ks_to_try(*, k: int | None, k_min: int, k_max: int, users: int, distinct: int, curve: bool) -> list[int]:
    """The k values to fit; errors name the setting to change."""
    if k is not None:
        if k > distinct:
            raise SegmentationError(
                f"k = {k} but {SOURCE} has only {distinct} distinct behaviour profile(s) "
                f"among {users} users: set k to at most {distinct}"
            )
        if not curve:
            return [k]
    upper = min(k_max, distinct, users - 1)
    ks = list(range(k_min, upper + 1))
    if k is None and not ks:
        raise SegmentationError(
            f"cannot choose k in [{k_min}, {k_max}]: {SOURCE} has {users} users with {distinct} distinct "
            f"behaviour profile(s); lower k_min or widen the cohort"
        )
    return sorted(set(ks) | ({k} if k is not None else set()))


def silhouette_sample(*, n: int, seed: int) -> np.ndarray:
    """Rows used for every silhouette of the run: all, or a fixed-seed sample."""
    if n <= SILHOUETTE_SAMPLE:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=SILHOUETTE_SAMPLE, replace=False))


def silhouettes(*, points: np.ndarray, labels: dict[int, np.ndarray], chunk: int = 500) -> dict[int, float | None]:
    """Mean silhouette of each labelling of ``points``, sharing one pass over the distances.

    Same definition as scikit-learn's ``silhouette_score`` (a user alone in a segment
    scores 0); None where undefined (fewer than 2 labels, or one user per label). Each
    chunk of pairwise distances is reused by every k, so trying 7 values of k costs about
    as much as one. Distances are computed in float32 (sums in float64): the 10,000 x 10,000
    distances are memory-bound, float32 halves the time and changes the score by about 1e-8.
    """
    points = np.asarray(points, dtype=np.float32)
    n = len(points)
    onehot, counts, total = {}, {}, {}
    for key, lab in labels.items():
        found = len(np.unique(lab))
        if 2 <= found < n:
            codes = np.unique(lab, return_inverse=True)[1]
            onehot[key] = np.eye(found, dtype=np.float32)[codes]
            counts[key] = onehot[key].sum(axis=0)
            total[key] = 0.0
    sq = np.einsum("ij,ij->i", points, points)
    for start in range(0, n if onehot else 0, chunk):
        block = points[start : start + chunk]
        dist = np.sqrt(np.maximum(sq[start : start + chunk, None] + sq[None, :] - 2.0 * block @ points.T, 0.0))
        dist[np.arange(len(block)), np.arange(start, start + len(block))] = 0.0
        for key, oh in onehot.items():
            sums = (dist @ oh).astype(np.float64)
            own = oh[start : start + chunk].astype(bool)
            own_count = counts[key][own.argmax(axis=1)]
            a = sums[own] / np.maximum(own_count - 1, 1)
            b = np.where(own, np.inf, sums / counts[key]).min(axis=1)
            s = np.where(own_count > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
            total[key] += float(s.sum())
    return {key: (total[key] / n if key in total else None) for key in labels}
