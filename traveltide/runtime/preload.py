"""Import the heavy libraries of later steps in a background thread while DuckDB loads data.

Great Expectations takes 4-7 s of one core to import, scikit-learn with SciPy 3-4 s and
matplotlib 1 s. A run starts these imports first, so the steps that need them find them
loaded: DuckDB releases the GIL while it reads the exports, and the import uses the time
the load spends waiting.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading
from collections.abc import Sequence

__all__ = ["CORE_MODULES", "RUN_MODULES", "preload_modules"]

# In the order the run needs them: validation of bronze first, segmentation after gold.
CORE_MODULES: tuple[str, ...] = ("traveltide.segmentation",)
RUN_MODULES: tuple[str, ...] = ("great_expectations", *CORE_MODULES, "traveltide.charts", "traveltide.charts")


def _import_all(names: Sequence[str]) -> None:
    # Lowest CPU priority for this thread only (Linux schedules threads one by one): the
    # imports use what the load leaves idle instead of slowing it down.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # the step that needs it imports it again and reports the error there
            return


_requested: set[str] = set()


def preload_modules(*, names: Sequence[str]) -> threading.Thread | None:
    """Import ``names`` one after another in a daemon thread; return the started thread.

    Names asked for before are skipped (``None`` when nothing is left). An import that fails
    here fails again, with its traceback, where the step imports it.
    """
    todo = tuple(n for n in names if n not in _requested)
    if not todo:
        return None
    _requested.update(todo)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    thread = threading.Thread(target=_import_all, args=(todo,), name="preload", daemon=True)
    thread.start()
    return thread
