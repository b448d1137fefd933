"""Shared test set-up: quiet, offline, and isolated from the developer's own Prefect home."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Before any test module imports Prefect or Great Expectations.
_HOME = Path(tempfile.mkdtemp(prefix="traveltide-tests-"))
os.environ["PREFECT_HOME"] = str(_HOME / "prefect")
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("TRAVELTIDE_CONFIG", None)
for key in [k for k in os.environ if k.startswith("TRAVELTIDE_")]:
    os.environ.pop(key)

from traveltide.quiet import configure_environment  # noqa: E402

configure_environment(project_dir=_HOME)
