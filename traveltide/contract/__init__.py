"""The data contract as code: one definition per table feeds the SQL casts, the
Great Expectations suites, the Hyper keys and the analysts' data dictionary.

Each layer module (``bronze``, ``silver``, ``gold``, ``mart``) exports ``TABLES``,
a tuple of :class:`Table` in build order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Column", "ForeignKey", "Table"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its name, DuckDB type, meaning for an analyst, and nullability."""

    name: str
    type: str
    description: str
    nullable: bool = True


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """``columns`` of this table reference ``ref_columns`` of ``ref_table`` (same layer)."""

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """A table of one layer with its grain sentence, columns and keys.

    ``view`` tables are DuckDB views: readers see a table, but nothing is copied (silver's
    pass-through tables read bronze, so the run does not write the data twice).
    """

    layer: str
    name: str
    grain: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = field(default=())
    view: bool = False

    @property
    def qualified_name(self) -> str:
        """``layer.name``, the table's name in the working DuckDB database."""
        return f"{self.layer}.{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.qualified_name} has no column {name!r}")
