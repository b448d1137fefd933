"""Quiet, offline defaults for the libraries a run uses, set before they are imported.

Telemetry off everywhere; Prefect's home inside the project (``.prefect/``) unless the
operator chose one; a start-up limit for the temporary Prefect server that a busy
2-core machine can meet (STACK.md). Values already in the environment win.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["configure_environment"]


def configure_environment(*, project_dir: Path | None = None) -> None:
    """Set the quiet defaults in ``os.environ`` (only where the operator set nothing)."""
    home = (project_dir or Path.cwd()) / ".prefect"
    defaults = {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_LOGGING_TO_API_BATCH_INTERVAL": "0.3",
        "GX_ANALYTICS_ENABLED": "false",
        "MPLBACKEND": "Agg",
    }
    for key, value in defaults.items():
        if value:
            os.environ.setdefault(key, value)
