"""Prefect's fixed start-up: one trivial flow run in the environment ``traveltide run`` uses.

Without ``PREFECT_API_URL`` a flow run starts a temporary local Prefect server; this costs
the same seconds whatever the data size, so the benchmark reports it on its own line and
compares the toolkit with the floor without it. Run as ``python -m bench.prefect_startup``.
"""

from __future__ import annotations

import sys

from traveltide.quiet import configure_environment

__all__ = ["main"]


def main() -> int:
    """Run a flow that does nothing, with the toolkit's quiet environment defaults."""
    configure_environment()
    from prefect import flow

    @flow(name="benchmark-noop")
    def noop() -> int:
        return 0

    return noop()


if __name__ == "__main__":
    sys.exit(main())
