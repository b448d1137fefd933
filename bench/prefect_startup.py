"""Prefect's fixed start-up: one trivial flow run in the environment ``traveltide run`` uses.

Without ``PREFECT_API_URL`` a run starts a temporary local Prefect server first thing
(``traveltide/runtime/prefect_server.py``) and imports Prefect while it boots; this costs the same
seconds whatever the data size, so the benchmark reports it on its own line and compares
the toolkit with the floor without it. Run as ``python -m bench.prefect_startup``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from traveltide.runtime.environment import configure_environment

__all__ = ["main"]


def main() -> int:
    """Run a flow that does nothing, started the way ``traveltide run`` starts its flow."""
    configure_environment()
    from traveltide.runtime.prefect_server import start_temporary_server

    wait_ready = start_temporary_server(prefect_home=Path(os.environ["PREFECT_HOME"]))
    from prefect import flow

    @flow(name="benchmark-noop")
    def noop() -> int:
        return 0

    wait_ready()
    return noop()


if __name__ == "__main__":
    sys.exit(main())
