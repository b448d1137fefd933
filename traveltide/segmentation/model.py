"""The saved segmentation model: what a later run needs to give the same behaviour the same
segment, as readable JSON (no pickle).

A model holds the inputs and their transform (log1p features, means and scales), each
segment's centre in the scaled space with its id, name and perk, the settings that shaped it,
a fingerprint of the data it was fitted on and each input's bins and shares there (for the
population stability index of later runs). Every publish writes ``exports/model/model.json``
and keeps the one it replaced as ``exports/model/previous.json``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from traveltide import __version__
from traveltide.segmentation.features import FEATURES, LOG_FEATURES

__all__ = [
    "MODEL_FORMAT",
    "PSI_BINS",
    "SavedModel",
    "bins_and_shares",
    "fingerprint",
    "new_model",
    "psi",
    "read_model",
    "shaping_settings",
    "write_model",
]

MODEL_FORMAT = 1
PSI_BINS = 10
_EPS = 1e-4  # share floor in the PSI: an empty bin must not make it infinite


@dataclass(frozen=True)
class SavedModel:
    """One fitted segmentation, as stored in ``model.json``."""

    format: int
    package_version: str
    run_id: str
    features: tuple[str, ...]
    log1p_features: tuple[str, ...]
    mean: dict[str, float]
    scale: dict[str, float]
    k_selection: str
    segments: tuple[dict[str, Any], ...]  # segment_id, segment_name, perk, centroid {feature: z}
    settings: dict[str, Any]
    training: dict[str, Any]  # users, fingerprint, bins {feature: edges}, shares {feature: shares}

    @property
    def k(self) -> int:
        return len(self.segments)

    def transformed(self, *, x: np.ndarray) -> np.ndarray:
        """The inputs (users x :attr:`features`) in the log1p space, before scaling."""
        xt = np.asarray(x, dtype=float).copy()
        for j, f in enumerate(self.features):
            if f in self.log1p_features:
                xt[:, j] = np.log1p(xt[:, j])
        return xt

    def scaled(self, *, x: np.ndarray) -> np.ndarray:
        """The inputs as z-scores with this model's means and scales."""
        mean = np.array([self.mean[f] for f in self.features])
        scale = np.array([self.scale[f] for f in self.features])
        return (self.transformed(x=x) - mean) / scale

    def centroids(self) -> np.ndarray:
        """k x features: each segment's centre (z-scores of this model), in segment id order."""
        return np.array([[s["centroid"][f] for f in self.features] for s in self.segments])

    def nearest(self, *, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each user's segment position (id - 1) by the nearest centre, and the distance to it."""
        z = self.scaled(x=x)
        dist = np.sqrt(((z[:, None, :] - self.centroids()[None, :, :]) ** 2).sum(axis=2))
        position = dist.argmin(axis=1)
        return position, dist[np.arange(len(z)), position]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def shaping_settings(*, k: int | None, k_min: int, k_max: int, min_segment_size: int, seed: int) -> dict[str, Any]:
    """The settings whose change makes a new model necessary (k 'auto' when chosen by silhouette)."""
    return {
        "k": "auto" if k is None else k,
        "k_min": k_min,
        "k_max": k_max,
        "min_segment_size": min_segment_size,
        "seed": seed,
        "features": list(FEATURES),
        "log1p_features": [f for f in FEATURES if f in LOG_FEATURES],
    }


def fingerprint(*, user_ids: np.ndarray, x: np.ndarray) -> str:
    """SHA-256 of the users and their inputs: the same data gives the same text."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(user_ids, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(x, dtype=np.float64).tobytes())
    return digest.hexdigest()


def bins_and_shares(*, values: np.ndarray) -> tuple[list[float], list[float]]:
    """Inner bin edges (deciles, ties merged) of ``values`` and the share of values in each bin."""
    edges = sorted(set(np.quantile(values, np.linspace(0, 1, PSI_BINS + 1)[1:-1]).tolist()))
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
    return [float(e) for e in edges], (counts / max(len(values), 1)).tolist()


def psi(*, model: SavedModel, x: np.ndarray) -> dict[str, float]:
    """Population stability index of each input between the model's training data and ``x``."""
    out = {}
    for j, f in enumerate(model.features):
        edges = model.training["bins"][f]
        expected = np.maximum(np.array(model.training["shares"][f]), _EPS)
        counts = np.bincount(np.searchsorted(edges, x[:, j], side="right"), minlength=len(edges) + 1)
        actual = np.maximum(counts / max(len(x), 1), _EPS)
        out[f] = float(np.sum((actual - expected) * np.log(actual / expected)))
    return out


def new_model(
    *,
    run_id: str,
    scaler: dict[str, Any],
    k_selection: str,
    segments: list[dict[str, Any]],
    settings: dict[str, Any],
    user_ids: np.ndarray,
    x: np.ndarray,
) -> SavedModel:
    """A model of this run's fit, with its training data's fingerprint and bins."""
    bins, shares = {}, {}
    for j, f in enumerate(FEATURES):
        bins[f], shares[f] = bins_and_shares(values=x[:, j])
    return SavedModel(
        format=MODEL_FORMAT,
        package_version=__version__,
        run_id=run_id,
        features=FEATURES,
        log1p_features=tuple(scaler["log1p_features"]),
        mean=dict(scaler["mean"]),
        scale=dict(scaler["scale"]),
        k_selection=k_selection,
        segments=tuple(segments),
        settings=settings,
        training={
            "users": len(user_ids),
            "fingerprint": fingerprint(user_ids=user_ids, x=x),
            "bins": bins,
            "shares": shares,
        },
    )


def write_model(*, model: SavedModel, path: Path) -> Path:
    """Write ``model`` as indented JSON at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model.to_dict(), indent=2) + "\n", encoding="utf-8")
    return path


def read_model(*, path: Path) -> SavedModel | None:
    """The model at ``path``; None when there is none or it is of another format (it is refitted)."""
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format") != MODEL_FORMAT:
            return None
        raw["features"] = tuple(raw["features"])
        raw["log1p_features"] = tuple(raw["log1p_features"])
        raw["segments"] = tuple(raw["segments"])
        return SavedModel(**raw)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None  # unreadable: the run fits a new model and says why
