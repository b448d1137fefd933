"""The built-in sample: the four bronze exports generated as SPEC §1 describes them, deterministic
from a seed. Not a pipeline stage: the ``sample`` source and ``traveltide sample`` call it.

:mod:`catalog` holds the real airports, airlines and hotel brands, :mod:`model` the behaviour it
simulates (every figure with its source), :mod:`writer` the CSV files and the dirty-mode faults.
"""

from traveltide.sample.writer import (
    DIRTY_FAULTS_FILE,
    generator_fingerprint,
    write_sample,
)

__all__ = ["DIRTY_FAULTS_FILE", "generator_fingerprint", "write_sample"]
