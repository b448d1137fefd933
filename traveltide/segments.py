"""Segment the cohort by behaviour and give every segment and user a perk (SPEC §3).

Inputs: :data:`FEATURES`, the perk driver features of ``gold.user_features`` (bags checked
and bags per flight; cancellation rate; discount usage rate and average discount; hotel
nights and flight + hotel bundle rate). Only these columns, the profile features and
``user_id`` are read, so demographic columns (gender, age, home, rooms, seats ...) cannot
reach the model even if the table carries them. The six SPEC features all stay in every
segment's profile (gold.segments); ``total_sessions`` and ``total_base_fare`` are profiled
but are not inputs: they measure activity and price, which no perk rewards, and totals
that grow with activity made k-means split heavy from light users instead of by what
they want (measured below).

Scaling: ``log1p`` on the two heavy-tailed totals (:data:`LOG_FEATURES`: bags, nights),
then standardisation (z-scores) of all inputs. The other inputs are bounded rates or
per-trip means (0-1, bags per flight 0-4), so no single extreme user can stretch them. Why
not min-max: one extreme value (a five-figure business fare, a 97-night traveller) becomes
the maximum and squeezes every other user into a thin band near 0, so that feature stops
separating anyone; fare is no longer an input, and after log1p extreme totals are only a
few standard deviations out. Why not a robust (median/IQR) scaler: most users never cancel,
the IQR of a sparse rate can be 0 and its weight becomes arbitrary. Why not cohort
percentile ranks (tried: tied on the samples below): ranks throw magnitude away. A user
cancelling 95 % of sessions sits barely above one cancelling 45 %, while 2 % noise in an
unrelated input spreads users over the whole 0-1 range, so on hand-built cohorts k-means
split on noise and merged the extreme and the regular cancellers (tests/test_segments.py).

Choice, by a stated criterion (``bench/segments_eval.py``; generated samples of 100,000 and
300,000 users, k = 4, k-means seeds 1, 2, 3, 42): every segment's affinity for its own perk
must be at least :data:`traveltide.perks.FIT_MARGIN` and every segment must hold at least
5 % of the cohort; among designs passing everywhere the largest worst-case affinity wins.
Perk drivers with log1p + z-scores: worst 7.2 percentile points (mean 8.0), tied with
driver percentiles (7.2, mean 8.8; rejected above); z-scored per-trip rates without totals:
5.5; the SPEC six with log1p + z-scores (the earlier design) failed at -0.9, its discount
segment barely above the cohort on discounts.

Model: k-means (``n_init`` = 10, fixed seed) on rows sorted by ``user_id``, so the same data
in any row order gives the same segments. With ``k = None``, k is the one in
``[k_min, k_max]`` with the highest silhouette (measured on one fixed-seed sample of at
most :data:`SILHOUETTE_SAMPLE` users; ties go to the smaller k); inertia is recorded for
the elbow picture. Segment ids come from behaviour, never from the k-means label: ordered
by perk (in :data:`traveltide.perks.PERKS` order), then by size (largest first).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import pyarrow as pa
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from traveltide import perks as perk_rules
from traveltide.contract import Table
from traveltide.contract.segments import CLUSTER_FEATURES, PROFILE_FEATURES, SEGMENTS, USER_SEGMENTS

__all__ = [
    "FEATURES",
    "LOG_FEATURES",
    "DEMOGRAPHIC_COLUMNS",
    "SILHOUETTE_SAMPLE",
    "SegmentationError",
    "KCandidate",
    "SegmentSummary",
    "SegmentationResult",
    "Diagnostics",
    "segment_users",
    "draw_diagnostics",
    "silhouettes",
]

# The model's inputs: the perk drivers, behaviour only.
FEATURES: tuple[str, ...] = CLUSTER_FEATURES
# Heavy-tailed inputs (totals) that are log1p-transformed before standardisation.
LOG_FEATURES: tuple[str, ...] = ("total_checked_bags", "total_nights")
# Never a model input (SPEC §3); tests check none of them is in FEATURES.
DEMOGRAPHIC_COLUMNS: frozenset[str] = frozenset(
    {
        "gender", "age", "birthdate", "married", "has_children", "home_country", "home_city",
        "home_airport", "home_airport_lat", "home_airport_lon", "rooms", "seats", "sign_up_date",
    }
)  # fmt: skip
SILHOUETTE_SAMPLE = 10_000
_N_INIT = 10
_SOURCE = "gold.user_features"


class SegmentationError(ValueError):
    """The features cannot be segmented as asked; the message says what to change."""


@dataclass(frozen=True, slots=True)
class KCandidate:
    """One k that was fitted: its inertia and silhouette (None when undefined)."""

    k: int
    inertia: float
    silhouette: float | None


@dataclass(frozen=True, slots=True)
class SegmentSummary:
    """One segment as written to gold.segments (without the profile means)."""

    segment_id: int
    segment_name: str
    perk: str
    users: int
    share: float
    reason: str


@dataclass(frozen=True, slots=True)
class SegmentationResult:
    """What a segmentation run decided and measured, for the manifest and the report."""

    k: int
    k_selection: Literal["fixed", "silhouette"]
    candidates: tuple[KCandidate, ...]
    silhouette: float | None
    silhouette_sample: int
    users: int
    segments: tuple[SegmentSummary, ...]
    features: tuple[str, ...]
    scaler: dict[str, Any]
    seed: int
    plots: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready diagnostics (sizes keyed by segment id as text)."""
        out = asdict(self)
        out["sizes"] = {str(s.segment_id): s.users for s in self.segments}
        return out


def segment_users(
    *,
    con: duckdb.DuckDBPyConnection,
    k: int | None,
    k_min: int,
    k_max: int,
    seed: int,
    plots_dir: Path | None,
) -> SegmentationResult:
    """Cluster gold.user_features, pick perks, write gold.segments and gold.user_segments.

    ``k = None`` chooses k in ``[k_min, k_max]`` by silhouette. With ``plots_dir`` the
    diagnostics of :func:`draw_diagnostics` are added (the flow draws them in the background
    instead, beside the steps that follow).
    """
    result = _segment(con=con, k=k, k_min=k_min, k_max=k_max, seed=seed)
    if plots_dir is None:
        return result
    found = draw_diagnostics(
        con=con,
        k=result.k,
        k_selection=result.k_selection,
        candidates=result.candidates,
        k_min=k_min,
        k_max=k_max,
        seed=seed,
        plots_dir=plots_dir,
    )
    return replace(result, candidates=found.candidates, plots=found.plots)


def _segment(
    *, con: duckdb.DuckDBPyConnection, k: int | None, k_min: int, k_max: int, seed: int
) -> SegmentationResult:
    user_ids, columns = _read_features(con=con)
    n = len(user_ids)
    z, scaler = _scale(x=np.column_stack([columns[f] for f in FEATURES]))
    candidates, chosen, how, model = _cluster(z=z, k=k, k_min=k_min, k_max=k_max, seed=seed, curve=False)
    percentiles = {f: perk_rules.percentile_ranks(values=columns[f]) for f in columns}
    scores = perk_rules.perk_scores(percentiles=percentiles)
    seg, seg_perk, seg_affinity = _segments_by_perk(
        labels=_canonical_labels(model=model, k=chosen), scores=scores, k=chosen
    )

    profile = _group_means(values=np.column_stack([columns[f] for f in PROFILE_FEATURES]), groups=seg, k=chosen)
    cohort = np.array([columns[f].mean() for f in PROFILE_FEATURES])
    deviation = _group_means(
        values=np.column_stack([percentiles[f] for f in PROFILE_FEATURES]), groups=seg, k=chosen
    ) - 50.0
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

    _write(
        con=con,
        tables=(
            (SEGMENTS, _segments_table(summaries=summaries, profile=profile, score_means=seg_affinity + 50.0)),
            (
                USER_SEGMENTS,
                _user_segments_table(
                    user_ids=user_ids, seg=seg, summaries=summaries, scores=scores, user_perk=seg_perk[seg]
                ),
            ),
        ),
    )
    return SegmentationResult(
        k=chosen,
        k_selection=how,
        candidates=candidates,
        silhouette=next(c.silhouette for c in candidates if c.k == chosen),
        silhouette_sample=min(n, SILHOUETTE_SAMPLE),
        users=n,
        segments=tuple(summaries),
        features=FEATURES,
        scaler=scaler,
        seed=seed,
    )


@dataclass(frozen=True, slots=True)
class Diagnostics:
    """The k range compared (for the elbow picture) and the three PNGs, by kind."""

    candidates: tuple[KCandidate, ...]
    plots: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"candidates": [asdict(c) for c in self.candidates], "plots": dict(self.plots)}


def draw_diagnostics(
    *,
    con: duckdb.DuckDBPyConnection,
    k: int,
    k_selection: Literal["fixed", "silhouette"],
    candidates: tuple[KCandidate, ...],
    k_min: int,
    k_max: int,
    seed: int,
    plots_dir: Path,
) -> Diagnostics:
    """The three diagnostic PNGs of the segments written by :func:`segment_users`.

    Nothing downstream reads them, so the flow draws them (1 to 3 s) beside the steps that
    follow. The inputs are read back from gold; with a fixed k the range ``[k_min, k_max]``
    is fitted here for the elbow picture (same seed, so k's own figures are unchanged).
    """
    user_ids, columns = _read_features(con=con)
    z, _ = _scale(x=np.column_stack([columns[f] for f in FEATURES]))
    if k_selection == "fixed":
        candidates = _cluster(z=z, k=k, k_min=k_min, k_max=k_max, seed=seed, curve=True)[0]
    written = con.execute(
        f"select user_id, segment_id from {USER_SEGMENTS.qualified_name} order by user_id"
    ).fetchnumpy()
    if not np.array_equal(written["user_id"], user_ids):
        raise SegmentationError(f"{USER_SEGMENTS.qualified_name} does not match {_SOURCE}: segment the users again")
    seg = np.asarray(written["segment_id"], dtype=int) - 1
    named = con.execute(f"select segment_name, perk from {SEGMENTS.qualified_name} order by segment_id").fetchall()
    profile_values = np.column_stack([columns[f] for f in PROFILE_FEATURES])
    plots = _write_plots(
        plots_dir=plots_dir,
        candidates=candidates,
        k=k,
        how=k_selection,
        names=[name for name, _ in named],
        perks=[perk for _, perk in named],
        profile=_group_means(values=profile_values, groups=seg, k=k),
        cohort=profile_values.mean(axis=0),
        z=z,
        seg=seg,
        seed=seed,
    )
    return Diagnostics(candidates=candidates, plots=plots)


def _cluster(
    *, z: np.ndarray, k: int | None, k_min: int, k_max: int, seed: int, curve: bool
) -> tuple[tuple[KCandidate, ...], int, Literal["fixed", "silhouette"], KMeans]:
    """Fit k-means for every k to try; pick the fixed k or the best silhouette."""
    n = len(z)
    distinct = len(np.unique(z, axis=0))
    ks = _ks_to_try(k=k, k_min=k_min, k_max=k_max, users=n, distinct=distinct, curve=curve)
    sample = _silhouette_sample(n=n, seed=seed)
    # One OpenMP/BLAS thread per fit: on a busy machine oversubscription made k-means 8x
    # slower (measured). The fits of the k range are independent, so two run at a time
    # (k-means leaves the GIL in its inner loop); each has its own seed, so the results do
    # not depend on the order they finish in.
    with threadpool_limits(limits=1), ThreadPoolExecutor(max_workers=2) as pool:
        fitted = [pool.submit(_fit, z=z, k=kk, seed=seed) for kk in ks]
        fits = {kk: f.result() for kk, f in zip(ks, fitted, strict=True)}
        sil = silhouettes(points=z[sample], labels={kk: m.labels_[sample] for kk, m in fits.items()})
    candidates = tuple(KCandidate(k=kk, inertia=float(m.inertia_), silhouette=sil[kk]) for kk, m in fits.items())
    if k is not None:
        return candidates, k, "fixed", fits[k]
    best = max(candidates, key=lambda c: (-np.inf if c.silhouette is None else c.silhouette, -c.k))
    return candidates, best.k, "silhouette", fits[best.k]


def _fit(*, z: np.ndarray, k: int, seed: int) -> KMeans:
    # OpenMP's thread count is per thread: a pool thread sets its own.
    with threadpool_limits(limits=1, user_api="openmp"):
        return KMeans(n_clusters=k, n_init=_N_INIT, random_state=seed).fit(z)


def _canonical_labels(*, model: KMeans, k: int) -> np.ndarray:
    """Cluster labels renumbered by behaviour (size, then centroid), independent of k-means' numbering."""
    sizes = np.bincount(model.labels_, minlength=k)
    canon = sorted(range(k), key=lambda c: (-sizes[c], tuple(np.round(model.cluster_centers_[c], 9))))
    renumber = np.empty(k, dtype=int)
    renumber[canon] = np.arange(k)
    return renumber[model.labels_]


def _segments_by_perk(*, labels: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Perk per cluster, then segment positions ordered by perk, size, canonical label.

    Returns each user's segment position (id - 1), each segment's perk index and its
    segments x perks affinity (mean score - 50).
    """
    affinity = _group_means(values=scores, groups=labels, k=k) - 50.0
    perk_of_cluster = perk_rules.assign_perks(affinity=affinity)
    sizes = np.bincount(labels, minlength=k)
    order = sorted(range(k), key=lambda c: (perk_of_cluster[c], -sizes[c], c))
    position = np.empty(k, dtype=int)
    position[order] = np.arange(k)
    return position[labels], perk_of_cluster[order], affinity[order]


def _write_plots(
    *,
    plots_dir: Path,
    candidates: tuple[KCandidate, ...],
    k: int,
    how: str,
    names: list[str],
    perks: list[str],
    profile: np.ndarray,
    cohort: np.ndarray,
    z: np.ndarray,
    seg: np.ndarray,
    seed: int,
) -> dict[str, str]:
    """The three diagnostic PNGs; returns their paths by kind."""
    # matplotlib (1 s to import) only when pictures are asked for.
    from traveltide import plots, report_charts

    plots_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "k_selection": plots.plot_k_selection(
            path=plots_dir / "segments_k_selection.png",
            ks=[c.k for c in candidates],
            inertia=[c.inertia for c in candidates],
            silhouette=[c.silhouette for c in candidates],
            k=k,
            how=how,
        ),
        "profiles": report_charts.plot_segment_profiles(
            path=plots_dir / "segments_profiles.png",
            features=PROFILE_FEATURES,
            names=names,
            perks=perks,
            segment_means=profile,
            cohort_means=cohort,
        ),
        "projection": plots.plot_projection(
            path=plots_dir / "segments_projection.png", scaled=z, segment_index=seg, names=names, perks=perks, seed=seed
        ),
    }
    return {kind: str(p) for kind, p in paths.items()}


def _read_features(*, con: duckdb.DuckDBPyConnection) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """user_id and the behaviour columns, sorted by user_id, checked for gaps and bad values."""
    needed = tuple(dict.fromkeys(FEATURES + PROFILE_FEATURES + perk_rules.DRIVER_FEATURES))
    try:
        rel = con.table(_SOURCE)
    except duckdb.CatalogException:
        raise SegmentationError(f"{_SOURCE} does not exist: build the gold layer before segmenting") from None
    missing = [c for c in ("user_id", *needed) if c not in rel.columns]
    if missing:
        raise SegmentationError(f"{_SOURCE} lacks column(s) {missing}: rebuild the gold layer")
    data = rel.select("user_id", *needed).order("user_id").to_arrow_table()
    if data.num_rows < 2:
        raise SegmentationError(f"{_SOURCE} has {data.num_rows} user(s); segmenting needs at least 2 cohort users")
    ids = data.column("user_id").to_numpy()
    dup = ids[1:][ids[1:] == ids[:-1]]
    if len(dup):
        raise SegmentationError(f"{_SOURCE} has duplicate user_id {int(dup[0])}: rebuild the gold layer")
    columns: dict[str, np.ndarray] = {}
    for name in needed:
        col = data.column(name)
        if col.null_count:
            row = col.is_null().to_numpy(zero_copy_only=False).argmax()
            raise SegmentationError(f"{_SOURCE}.{name} is NULL for user_id {int(ids[row])}: features must be complete")
        values = col.to_numpy().astype(float)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            row = int(bad.argmax())
            raise SegmentationError(
                f"{_SOURCE}.{name} is {values[row]} for user_id {int(ids[row])}: features must be finite and >= 0"
            )
        columns[name] = values
    return ids, columns


def _scale(*, x: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """log1p on :data:`LOG_FEATURES`, then z-scores; returns the scaled matrix and its parameters."""
    logged = [f in LOG_FEATURES for f in FEATURES]
    xt = x.copy()
    xt[:, logged] = np.log1p(xt[:, logged])
    scaler = StandardScaler().fit(xt)
    params = {
        "method": "log1p on heavy-tailed totals, then standardise (z = (x - mean) / scale)",
        "log1p_features": [f for f in FEATURES if f in LOG_FEATURES],
        "mean": {f: float(m) for f, m in zip(FEATURES, scaler.mean_, strict=True)},
        "scale": {f: float(s) for f, s in zip(FEATURES, scaler.scale_, strict=True)},
    }
    return scaler.transform(xt), params


def _ks_to_try(*, k: int | None, k_min: int, k_max: int, users: int, distinct: int, curve: bool) -> list[int]:
    """The k values to fit; errors name the setting to change."""
    if k is not None:
        if k > distinct:
            raise SegmentationError(
                f"k = {k} but {_SOURCE} has only {distinct} distinct behaviour profile(s) "
                f"among {users} users: set k to at most {distinct}"
            )
        if not curve:
            return [k]
    upper = min(k_max, distinct, users - 1)
    ks = list(range(k_min, upper + 1))
    if k is None and not ks:
        raise SegmentationError(
            f"cannot choose k in [{k_min}, {k_max}]: {_SOURCE} has {users} users with {distinct} distinct "
            f"behaviour profile(s); lower k_min or widen the cohort"
        )
    return sorted(set(ks) | ({k} if k is not None else set()))


def _silhouette_sample(*, n: int, seed: int) -> np.ndarray:
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


def _group_means(*, values: np.ndarray, groups: np.ndarray, k: int) -> np.ndarray:
    """k x columns matrix of column means per group 0..k-1."""
    counts = np.bincount(groups, minlength=k)
    sums = np.stack([np.bincount(groups, weights=values[:, j], minlength=k) for j in range(values.shape[1])], 1)
    return sums / counts[:, None]


def _segments_table(*, summaries: list[SegmentSummary], profile: np.ndarray, score_means: np.ndarray) -> pa.Table:
    data: dict[str, Any] = {
        "segment_id": pa.array([s.segment_id for s in summaries], pa.int32()),
        "segment_name": [s.segment_name for s in summaries],
        "perk": [s.perk for s in summaries],
        "users": pa.array([s.users for s in summaries], pa.int64()),
        "share": [s.share for s in summaries],
        "reason": [s.reason for s in summaries],
    }
    for j, f in enumerate(PROFILE_FEATURES):
        data[f] = profile[:, j]
    for j, p in enumerate(perk_rules.PERKS):
        data[p.score_column] = score_means[:, j]
    return pa.table(data)


def _user_segments_table(
    *,
    user_ids: np.ndarray,
    seg: np.ndarray,
    summaries: list[SegmentSummary],
    scores: np.ndarray,
    user_perk: np.ndarray,
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
    }
    for j, p in enumerate(perk_rules.PERKS):
        data[p.score_column] = scores[:, j]
    return pa.table(data)


def _create_sql(table: Table) -> str:
    """CREATE OR REPLACE statement for a contract table (identifiers from the contract only)."""
    cols = [f'"{c.name}" {c.type}{"" if c.nullable else " NOT NULL"}' for c in table.columns]
    if table.primary_key:
        cols.append("PRIMARY KEY (" + ", ".join(f'"{c}"' for c in table.primary_key) + ")")
    return f"CREATE OR REPLACE TABLE {table.layer}.{table.name} ({', '.join(cols)})"


def _write(*, con: duckdb.DuckDBPyConnection, tables: tuple[tuple[Table, pa.Table], ...]) -> None:
    """Replace the output tables in one transaction, typed and keyed by the contract."""
    # Every result is fetched: DuckDB 2.0 refuses relation calls while one is pending.
    con.execute("BEGIN TRANSACTION").fetchall()
    try:
        for contract, data in tables:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {contract.layer}").fetchall()
            con.execute(_create_sql(contract)).fetchall()
            con.from_arrow(data.select(list(contract.column_names))).insert_into(contract.qualified_name)
    except Exception:
        con.execute("ROLLBACK").fetchall()
        raise
    con.execute("COMMIT").fetchall()
