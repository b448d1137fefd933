"""Diagnostic pictures of a segmentation run, as PNG files for analysts.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global
backend switch). Each perk has one colour in every picture; segments sharing a perk
(k > 4) differ by hatch or marker.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from traveltide.contract.segments import PERK_NAMES

__all__ = ["PERK_COLORS", "plot_k_selection", "plot_projection"]

PERK_COLORS: dict[str, str] = dict(zip(PERK_NAMES, ("#1f77b4", "#d62728", "#2ca02c", "#9467bd"), strict=True))
_MARKERS = ("o", "s", "^", "D", "v", "P")
_DPI = 110


def _styles(perks: Sequence[str]) -> list[int]:
    """For each segment, how many earlier segments share its perk (picks the marker)."""
    seen: dict[str, int] = {}
    out = []
    for p in perks:
        out.append(seen.get(p, 0))
        seen[p] = out[-1] + 1
    return out


def plot_k_selection(
    *, path: Path, ks: Sequence[int], inertia: Sequence[float], silhouette: Sequence[float | None], k: int, how: str
) -> Path:
    """Elbow (inertia) and silhouette per k tried, with the chosen k marked."""
    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    ax.plot(ks, inertia, marker="o", color="#444444", label="inertia (elbow)")
    ax.set_xlabel("number of segments k")
    ax.set_ylabel("inertia: within-segment sum of squares (scaled units²)")
    ax.set_xticks(list(ks))
    ax.axvline(k, color="#ff7f0e", linestyle="--", label=f"chosen k = {k} ({how})")
    sil = [(kk, s) for kk, s in zip(ks, silhouette, strict=True) if s is not None]
    handles, labels = ax.get_legend_handles_labels()
    if sil:
        ax2 = ax.twinx()
        ax2.plot([kk for kk, _ in sil], [s for _, s in sil], marker="s", color="#17becf", label="silhouette")
        ax2.set_ylabel("silhouette (-1 to 1, higher = better separated)")
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, loc="best", fontsize=8)
    title = "Choosing k: elbow and silhouette"
    if len(ks) == 1:
        title += " (k fixed; set k = auto to compare a range)"
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    return path


def plot_projection(
    *,
    path: Path,
    scaled: np.ndarray,
    segment_index: np.ndarray,
    names: Sequence[str],
    perks: Sequence[str],
    seed: int,
    max_points: int = 5_000,
) -> Path:
    """Users on the first two principal components of the scaled features, coloured by perk.

    ``segment_index[i]`` is user i's position in ``names``/``perks``. Large cohorts are drawn
    from a fixed-seed sample of ``max_points`` users.
    """
    from sklearn.decomposition import PCA

    n = len(scaled)
    rows = np.arange(n)
    if n > max_points:
        rows = np.sort(np.random.default_rng(seed).choice(n, size=max_points, replace=False))
    components = min(2, scaled.shape[1], len(rows))
    pca = PCA(n_components=components, random_state=seed).fit(scaled[rows])
    xy = pca.transform(scaled[rows])
    if components == 1:
        xy = np.column_stack([xy[:, 0], np.zeros(len(rows))])
    share = list(pca.explained_variance_ratio_) + [0.0]
    fig = Figure(figsize=(7, 5.5))
    ax = fig.add_subplot()
    for s, style in enumerate(_styles(perks)):
        mask = segment_index[rows] == s
        ax.scatter(
            xy[mask, 0],
            xy[mask, 1],
            s=8,
            alpha=0.6,
            color=PERK_COLORS[perks[s]],
            marker=_MARKERS[style % len(_MARKERS)],
            label=f"{names[s]} → {perks[s]} ({int(np.sum(segment_index == s)):,} users)",
        )
    ax.set_xlabel(f"PC1 ({share[0]:.0%} of variance; standardised units)")
    ax.set_ylabel(f"PC2 ({share[1]:.0%} of variance; standardised units)")
    sampled = f", sample of {len(rows):,} of {n:,} users" if len(rows) < n else f", {n:,} users"
    ax.set_title(f"Segments on a 2-D PCA projection{sampled}", fontsize=10)
    ax.legend(fontsize=7, markerscale=2, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    return path
