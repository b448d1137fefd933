"""Process-level set-up, kept apart from the pipeline: quiet and offline defaults
(:mod:`environment`), the temporary Prefect server of a command-line run (:mod:`prefect_server`),
the background imports (:mod:`preload`), the DuckDB connection every step and check shares
(:mod:`database`), and the exits that keep interpreter teardown's output off the terminal (:mod:`exit`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from traveltide.runtime.environment import configure_environment
from traveltide.runtime.exit import exit_without_teardown, quiet_teardown

__all__ = ["configure_environment", "exit_without_teardown", "prepare_command_line_run", "quiet_teardown"]


def prepare_command_line_run() -> Callable[[], None]:
    """Ready this process for a flow run started by ``traveltide run``; returns ``wait_ready``.

    Starts the temporary Prefect server (unless ``PREFECT_API_URL`` names one) and, while it
    boots, the imports of the later steps; call ``wait_ready()`` before the flow starts.
    Call :func:`configure_environment` first.
    """
    from traveltide.runtime.prefect_server import start_temporary_server
    from traveltide.runtime.preload import RUN_MODULES, preload_modules

    wait_ready = start_temporary_server(prefect_home=Path(os.environ["PREFECT_HOME"]))
    preload_modules(names=RUN_MODULES)
    return wait_ready
