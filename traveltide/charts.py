"""Every chart of a run as a PNG: the segmentation diagnostics analysts read and the run
report's charts marketing reads.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global backend
switch). A perk has one colour (:data:`PERK_COLORS`) in every chart; segments sharing a perk
(k > 4) differ by hatch or marker. Every chart has a title, labelled axes with units, and names
perks in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from traveltide.contract.gold import PERK_NAMES

__all__ = [
    "FEATURE_LABELS",
    "PERK_COLORS",
    "plot_drift",
    "plot_funnel",
    "plot_k_selection",
    "plot_perk_fit",
    "plot_projection",
    "plot_segment_profiles",
    "plot_segment_sizes",
    "plot_sensitivity",
]

PERK_COLORS: dict[str, str] = dict(zip(PERK_NAMES, ("#1f77b4", "#d62728", "#2ca02c", "#9467bd"), strict=True))
_MARKERS = ("o", "s", "^", "D", "v", "P")
_DPI = 110
_GREY = "#8c8c8c"
# Axis ticks in the report's one number format: thousands separators.
_THOUSANDS = FuncFormatter(lambda v, _: f"{v:,.0f}")


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
    ax.set_ylim(0, max(inertia) * 1.1 if len(inertia) else 1)
    ax.axvline(k, color="#ff7f0e", linestyle="--", label=f"chosen k = {k} ({how})")
    sil = [(kk, s) for kk, s in zip(ks, silhouette, strict=True) if s is not None]
    handles, labels = ax.get_legend_handles_labels()
    if sil:
        ax2 = ax.twinx()
        ax2.plot([kk for kk, _ in sil], [s for _, s in sil], marker="s", color="#17becf", label="silhouette")
        ax2.set_ylabel("silhouette (-1 to 1, higher = better separated)")
        # From 0 (or below, for a negative silhouette): a zoomed axis made 0.17 vs 0.23 look like a chasm.
        values = [s for _, s in sil]
        ax2.set_ylim(min(0.0, *values), max(0.0, *values) * 1.15 or 1.0)
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
    share = [*list(pca.explained_variance_ratio_), 0.0]
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


# How each behaviour feature is said on a chart: (label, unit, shown as a percentage).
FEATURE_LABELS: dict[str, tuple[str, str, bool]] = {
    "total_sessions": ("Sessions", "sessions per user", False),
    "cancellation_rate": ("Cancellation rate", "% of sessions", True),
    "discount_usage_rate": ("Discount use", "% of sessions", True),
    "total_nights": ("Hotel nights", "nights per user", False),
    "total_checked_bags": ("Checked bags", "bags per user", False),
    "total_base_fare": ("Flight spend", "USD per user", False),
    "bags_per_flight": ("Bags per flight", "bags per flight trip", False),
    "avg_discount_amount": ("Discount size", "% off when used", True),
    "bundle_rate": ("Flight + hotel bundles", "% of booked trips", True),
    "nights_per_hotel_trip": ("Nights per stay", "nights per hotel trip", False),
}


def _label(feature: str) -> tuple[str, str, bool]:
    return FEATURE_LABELS.get(feature, (feature.replace("_", " ").capitalize(), "", False))


def _fmt_pair(a: float, b: float, *, percent: bool) -> str:
    """'a vs b' in one format: percentages whole, counts and money with thousands separators and
    one decimal below 100, none from 100 (the larger value decides, so '296 vs 1,227', not '296.2 vs 1,227')."""
    if percent:
        return f"{a:.0%} vs {b:.0%}"
    places = 0 if max(abs(a), abs(b)) >= 100 else 1
    return f"{a:,.{places}f} vs {b:,.{places}f}"


def plot_funnel(*, path: Path, steps: Sequence[tuple[str, int]]) -> Path:
    """Horizontal funnel: each step's users, and its share of the first step."""
    labels = [s for s, _ in steps]
    values = np.array([v for _, v in steps], dtype=float)
    fig = Figure(figsize=(8, 0.7 + 0.6 * len(steps)))
    ax = fig.add_subplot()
    y = np.arange(len(steps))
    ax.barh(y, values, color=["#c6dbef", "#6baed6", "#2171b5"][: len(steps)], edgecolor="white")
    top = values[0] if len(values) and values[0] else 1.0
    for i, v in enumerate(values):
        ax.text(v, i, f"  {v:,.0f} ({v / top:.1%})", va="center", fontsize=9)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.35)
    ax.set_xlabel("users")
    ax.xaxis.set_major_formatter(_THOUSANDS)
    ax.set_title("From all users to the cohort that is segmented", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    return path


def plot_segment_sizes(*, path: Path, names: Sequence[str], perks: Sequence[str], users: Sequence[int]) -> Path:
    """One bar per segment, coloured by its perk, labelled with users and share of the cohort."""
    counts = np.array(users, dtype=float)
    total = counts.sum() or 1.0
    fig = Figure(figsize=(8, 0.9 + 0.55 * len(names)))
    ax = fig.add_subplot()
    y = np.arange(len(names))
    ax.barh(y, counts, color=[PERK_COLORS[p] for p in perks], edgecolor="white")
    for i, c in enumerate(counts):
        ax.text(c, i, f"  {c:,.0f} users ({c / total:.0%})", va="center", fontsize=9)
    ax.set_yticks(y, [f"{n}\n→ {p}" for n, p in zip(names, perks, strict=True)], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, counts.max(initial=1.0) * 1.45)
    ax.set_xlabel("cohort users in the segment")
    ax.xaxis.set_major_formatter(_THOUSANDS)
    ax.set_title("Segment sizes (colour = perk offered)", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    return path


def plot_segment_profiles(
    *,
    path: Path,
    features: Sequence[str],
    names: Sequence[str],
    perks: Sequence[str],
    segment_means: np.ndarray,
    cohort_means: np.ndarray,
) -> Path:
    """One panel per segment: each feature's segment mean as % of the cohort mean, values written on.

    A bar longer than the 100 % line means the segment does more of it than the average
    cohort user; the written value is the segment's own mean in the feature's unit.
    """
    seg = np.asarray(segment_means, dtype=float)
    coh = np.asarray(cohort_means, dtype=float)
    index = np.divide(seg, coh, out=np.ones_like(seg), where=coh != 0) * 100.0
    k, f = index.shape
    cols = 2 if k > 1 else 1
    rows = int(np.ceil(k / cols))
    fig = Figure(figsize=(11, 0.8 + rows * (0.9 + 0.38 * f)))
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
    xmax = max(200.0, float(np.nanmax(index, initial=0.0)) * 1.3)
    labels = []
    for feat in features:
        name, unit, _ = _label(feat)
        labels.append(f"{name}\n({unit})" if unit else name)
    y = np.arange(f)
    for s in range(rows * cols):
        ax = axes[s // cols][s % cols]
        if s >= k:
            ax.set_visible(False)
            continue
        ax.barh(y, index[s], color=PERK_COLORS[perks[s]], edgecolor="white")
        ax.axvline(100.0, color="black", linewidth=1)
        for j, feat in enumerate(features):
            pct = _label(feat)[2]
            ax.text(
                min(index[s, j], xmax) + xmax * 0.01,
                j,
                _fmt_pair(seg[s, j], coh[j], percent=pct),
                va="center",
                fontsize=9,
            )
        ax.set_yticks(y, labels if s % cols == 0 else [""] * f, fontsize=9)
        ax.invert_yaxis()
        ax.set_xlim(0, xmax)
        ax.set_title(f"{names[s]} → {perks[s]}", fontsize=9, color=PERK_COLORS[perks[s]], fontweight="bold")
        if s // cols == rows - 1 or s + cols >= k:
            ax.set_xlabel("segment mean as % of cohort mean (100 % = cohort average)", fontsize=8)
            ax.tick_params(axis="x", labelbottom=True)
        ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle("Segment profiles against the whole cohort (labels: segment mean vs cohort mean)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    return path


def plot_perk_fit(
    *,
    path: Path,
    perks: Sequence[str],
    assigned_scores: np.ndarray,
    runner_up_gaps: np.ndarray,
    close: float,
) -> Path:
    """Left: each perk's users by fit score (0-100). Right: lead of the assigned perk over the runner-up."""
    perks_arr = np.asarray(perks)
    scores = np.asarray(assigned_scores, dtype=float)
    gaps = np.asarray(runner_up_gaps, dtype=float)
    order = list(dict.fromkeys(p for p in PERK_COLORS if p in set(perks_arr)))
    fig = Figure(figsize=(11, 4.2))
    left, right = fig.subplots(1, 2)
    bins = np.linspace(0, 100, 21)
    left.hist(
        [scores[perks_arr == p] for p in order],
        bins=bins,
        stacked=True,
        color=[PERK_COLORS[p] for p in order],
        label=order,
        edgecolor="white",
    )
    left.axvline(50, color="black", linewidth=1, linestyle="--", label="cohort average (50)")
    left.set_xlabel("fit score of the perk the user gets (0-100, percentile of its drivers)")
    left.set_ylabel("users")
    left.set_title("How well each user's perk fits them", fontsize=10)
    left.legend(fontsize=7, loc="upper left")
    top = max(float(np.max(gaps, initial=0.0)), close) + 5
    low = min(float(np.min(gaps, initial=0.0)), 0.0) - 5
    gap_bins = np.arange(np.floor(low / 5) * 5, np.ceil(top / 5) * 5 + 5, 5)
    right.hist(
        [gaps[perks_arr == p] for p in order],
        bins=gap_bins,
        stacked=True,
        color=[PERK_COLORS[p] for p in order],
        edgecolor="white",
    )
    right.axvspan(gap_bins[0], close, color=_GREY, alpha=0.2, label=f"runner-up within {close:g} points")
    right.set_xlabel("assigned perk's score minus runner-up perk's score (points)")
    right.set_ylabel("users")
    share = float(np.mean(gaps <= close)) if len(gaps) else 0.0
    right.set_title(f"Runner-up perk close (≤ {close:g} points) for {share:.0%} of users", fontsize=10)
    right.legend(fontsize=7, loc="upper right")
    for ax in (left, right):
        ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    return path


def plot_drift(*, path: Path, segments: Sequence[str], previous: Sequence[int], now: Sequence[int]) -> Path:
    """Users per segment in the previous published run and in this one, side by side."""
    y = np.arange(len(segments))
    fig = Figure(figsize=(8, 0.9 + 0.6 * len(segments)))
    ax = fig.add_subplot()
    ax.barh(y - 0.2, previous, height=0.4, color=_GREY, label="previous run")
    ax.barh(y + 0.2, now, height=0.4, color="#1f77b4", label="this run")
    for i, (a, b) in enumerate(zip(previous, now, strict=True)):
        ax.text(max(a, b), i, f"  {b - a:+,d}", va="center", fontsize=9)
    ax.set_yticks(y, list(segments), fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, max([*previous, *now, 1]) * 1.3)
    ax.set_xlabel("cohort users in the segment")
    ax.set_title("Segment sizes since the previous run", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    return path


def plot_sensitivity(
    *, path: Path, thresholds: Sequence[int], cohort: Sequence[int], shares: dict[str, Sequence[float]], setting: int
) -> Path:
    """Cohort size (left) and the share offered each perk (right) for each min_sessions threshold."""
    x = np.arange(len(thresholds))
    labels = [f"{t}{' (setting)' if t == setting else ''}" for t in thresholds]
    fig = Figure(figsize=(10, 3.6))
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    left.bar(x, cohort, color=[("#1f77b4" if t == setting else _GREY) for t in thresholds])
    for i, n in enumerate(cohort):
        left.text(i, n, f"{n:,}", ha="center", va="bottom", fontsize=8)
    left.set_ylim(0, max([*cohort, 1]) * 1.15)
    left.set_ylabel("cohort users")
    left.set_title("Cohort size", fontsize=10)
    bottom = np.zeros(len(thresholds))
    for perk, values in shares.items():
        right.bar(x, values, bottom=bottom, color=PERK_COLORS.get(perk, _GREY), label=perk)
        bottom += np.asarray(values, dtype=float)
    right.set_ylim(0, 1)
    right.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    right.set_ylabel("share of the cohort offered")
    right.set_title("Offered perks", fontsize=10)
    right.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, frameon=False)
    for ax in (left, right):
        ax.set_xticks(x, labels, fontsize=8)
        ax.set_xlabel("min_sessions")
        ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    return path
