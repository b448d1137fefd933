"""Where the real TravelTide rows are: ``shared/reference/`` beside the repository (as in CI)."""

from __future__ import annotations

from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
if not REFERENCE.is_dir():
    raise RuntimeError(f"the real reference rows are expected at {REFERENCE} (shared/ beside the repository)")
