"""The segments' diagnostic pictures: the k selection curve, the profiles, a 2-D projection."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np

from traveltide.contract.gold import PROFILE_FEATURES, SEGMENTS, USER_SEGMENTS
from traveltide.segmentation.clustering import KCandidate, cluster
from traveltide.segmentation.features import (
    FEATURES,
    SOURCE,
    SegmentationError,
    group_means,
    read_features,
    scale,
)

__all__ = ["DiagnosticInputs", "Diagnostics", "draw_diagnostics", "read_diagnostic_inputs"]


@dataclass(frozen=True, slots=True)
class Diagnostics:
    """The k range compared (for the elbow picture) and the three PNGs, by kind."""

    candidates: tuple[KCandidate, ...]
    plots: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"candidates": [asdict(c) for c in self.candidates], "plots": dict(self.plots)}


@dataclass(frozen=True, slots=True)
class DiagnosticInputs:
    """What the pictures need from gold, read at once: drawing them then touches no database."""

    columns: dict[str, np.ndarray]
    seg: np.ndarray  # each user's segment, from 0
    names: list[str]
    perks: list[str]


def read_diagnostic_inputs(*, con: duckdb.DuckDBPyConnection) -> DiagnosticInputs:
    """The cohort's features, segments and segment names as :func:`segment_users` wrote them."""
    user_ids, columns = read_features(con=con, columns=(*FEATURES, *PROFILE_FEATURES))
    written = con.execute(
        f"select user_id, segment_id from {USER_SEGMENTS.qualified_name} order by user_id"
    ).fetchnumpy()
    if not np.array_equal(written["user_id"], user_ids):
        raise SegmentationError(f"{USER_SEGMENTS.qualified_name} does not match {SOURCE}: segment the users again")
    named = con.execute(f"select segment_name, perk from {SEGMENTS.qualified_name} order by segment_id").fetchall()
    return DiagnosticInputs(
        columns=columns,
        seg=np.asarray(written["segment_id"], dtype=int) - 1,
        names=[name for name, _ in named],
        perks=[perk for _, perk in named],
    )


def draw_diagnostics(
    *,
    inputs: DiagnosticInputs,
    k: int,
    k_selection: Literal["fixed", "silhouette"],
    candidates: tuple[KCandidate, ...],
    k_min: int,
    k_max: int,
    min_segment_size: int,
    seed: int,
    plots_dir: Path,
) -> Diagnostics:
    """The three diagnostic PNGs of the segments written by :func:`segment_users`.

    Nothing downstream reads them, so the flow draws them (1 to 3 s) beside the steps that
    follow, from ``inputs`` read before (:func:`read_diagnostic_inputs`). With a fixed k the
    range ``[k_min, k_max]`` is fitted here for the elbow picture (same seed, so k's own
    figures are unchanged).
    """
    columns = inputs.columns
    z, _ = scale(x=np.column_stack([columns[f] for f in FEATURES]))
    if k_selection == "fixed":
        candidates = cluster(
            z=z, k=k, k_min=k_min, k_max=k_max, min_segment_size=min_segment_size, seed=seed, curve=True
        )[0]
    profile_values = np.column_stack([columns[f] for f in PROFILE_FEATURES])
    plots = _write_plots(
        plots_dir=plots_dir,
        candidates=candidates,
        k=k,
        how=k_selection,
        names=inputs.names,
        perks=inputs.perks,
        profile=group_means(values=profile_values, groups=inputs.seg, k=k),
        cohort=profile_values.mean(axis=0),
        z=z,
        seg=inputs.seg,
        seed=seed,
    )
    return Diagnostics(candidates=candidates, plots=plots)


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
    from traveltide import charts

    plots_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "k_selection": charts.plot_k_selection(
            path=plots_dir / "segments_k_selection.png",
            ks=[c.k for c in candidates],
            inertia=[c.inertia for c in candidates],
            silhouette=[c.silhouette for c in candidates],
            k=k,
            how=how,
        ),
        "profiles": charts.plot_segment_profiles(
            path=plots_dir / "segments_profiles.png",
            features=PROFILE_FEATURES,
            names=names,
            perks=perks,
            segment_means=profile,
            cohort_means=cohort,
        ),
        "projection": charts.plot_projection(
            path=plots_dir / "segments_projection.png", scaled=z, segment_index=seg, names=names, perks=perks, seed=seed
        ),
    }
    return {kind: str(p) for kind, p in paths.items()}
