"""What a layer's validation found, in a shape the terminal, the manifest and the gate share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from traveltide.errors import TravelTideError

__all__ = ["ExpectationOutcome", "LayerValidation", "ValidationFailed"]


class ValidationFailed(TravelTideError, RuntimeError):
    """A critical expectation failed; the run stops before publishing."""


@dataclass(frozen=True, slots=True)
class ExpectationOutcome:
    """One expectation of one suite, as checked against the table."""

    suite: str
    expectation: str
    column: str | None
    severity: str
    success: bool
    why: str
    fix: str = ""
    observed: Any = None
    sample: tuple[Any, ...] = ()
    error: str | None = None

    @property
    def target(self) -> str:
        """The table, or table.column, the expectation is about."""
        return f"{self.suite}.{self.column}" if self.column else self.suite

    def reason(self, *, file: str | None = None) -> str:
        """One line an operator can act on: what failed (in ``file``), an example, and what to do."""
        where = f" in {file}" if file else ""
        example = f" (e.g. {self.sample[0]!r})" if self.sample else ""
        fix = self.fix or "fix the export it comes from and run again"
        return f"{self.target}{where}: {self.expectation}{example}; {fix}"

    def describe(self) -> str:
        parts = [f"{self.target}: {self.expectation}"]
        if self.error:
            parts.append(f"error: {self.error}")
        if self.observed is not None:
            parts.append(f"observed {self.observed}")
        if self.sample:
            parts.append(f"sample {list(self.sample)}")
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class LayerValidation:
    """Outcomes of every suite of one layer, plus where the Data Docs are."""

    layer: str
    docs_index: Path
    outcomes: tuple[ExpectationOutcome, ...]
    seconds: float
    suites: tuple[str, ...] = field(default=())

    @property
    def critical_failures(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.success and o.severity == "critical")

    @property
    def warnings(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.success and o.severity == "warning")

    @property
    def success(self) -> bool:
        return not self.critical_failures

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary for the run manifest."""
        return {
            "layer": self.layer,
            "success": self.success,
            "suites": list(self.suites),
            "expectations": len(self.outcomes),
            "passed": sum(o.success for o in self.outcomes),
            "critical_failures": len(self.critical_failures),
            "warnings": len(self.warnings),
            "seconds": round(self.seconds, 3),
            "docs": str(self.docs_index),
            "outcomes": [
                {**asdict(o), "sample": [_jsonable(v) for v in o.sample], "observed": _jsonable(o.observed)}
                for o in self.outcomes
            ],
        }

    def format(self) -> str:
        """A few lines for the terminal: counts, then every failure with its severity."""
        passed = sum(o.success for o in self.outcomes)
        lines = [
            f"{self.layer}: {passed}/{len(self.outcomes)} expectations passed in {len(self.suites)} suites "
            f"({len(self.critical_failures)} critical, {len(self.warnings)} warnings) in {self.seconds:.1f} s"
        ]
        lines += [f"  CRITICAL {o.describe()}" for o in self.critical_failures]
        lines += [f"  warning  {o.describe()}  (why: {o.why})" for o in self.warnings]
        return "\n".join(lines)

    def raise_for_critical(self, *, docs: Path | None = None, files: Mapping[str, str] | None = None) -> None:
        """Raise :class:`ValidationFailed` naming each failed critical expectation; its last line
        is the first failure's reason and what to do.

        ``docs`` is where readers will find the Data Docs (the run publishes them there);
        ``files`` maps a source table's name to its export, named in that line.
        """
        if not self.critical_failures:
            return
        failures = "\n".join(f"  - {o.describe()}" for o in self.critical_failures)
        first = self.critical_failures[0]
        table = first.suite.split(".", 1)[1]
        raise ValidationFailed(
            f"{self.layer} validation failed: {len(self.critical_failures)} critical expectation(s); "
            f"the run stopped before publishing (the previous extract stays). "
            f"Data Docs: {docs or self.docs_index}\n{failures}\n{first.reason(file=(files or {}).get(table))}"
        )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
