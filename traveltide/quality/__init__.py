"""Great Expectations gates for every layer: suites in ``expectations/``, run where the data
lives (DuckDB), summarised for the terminal and the manifest, with Data Docs per run.

Importing this package does not import Great Expectations (3.5 s); :func:`validate_layer` does.
"""

from traveltide.quality.run import ValidationSetupError, build_data_docs, validate_layer
from traveltide.quality.suites import Suite, SuiteError, load_layer_suites
from traveltide.quality.summary import (
    ExpectationOutcome,
    LayerValidation,
    ValidationFailed,
)

__all__ = [
    "ExpectationOutcome",
    "LayerValidation",
    "Suite",
    "SuiteError",
    "ValidationFailed",
    "ValidationSetupError",
    "build_data_docs",
    "load_layer_suites",
    "validate_layer",
]
