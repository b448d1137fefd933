"""The building blocks of the contract: a column, a foreign key, a table, a layer.

Every table of every layer is declared once, with these, in ``traveltide/contract/<layer>.py``;
the build, the checks, the Hyper keys and the data dictionary all read that one declaration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Column", "ForeignKey", "Layer", "Materialized", "Table"]

# How the build makes a table: a table or a view from its SQL file, or a table from Python
# (the segmentation, a model of gold).
Materialized = Literal["table", "view", "python"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its name, DuckDB type, meaning for an analyst, and nullability."""

    name: str
    type: str
    description: str
    nullable: bool = True


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """``columns`` reference ``ref_columns`` of ``ref_table``, in ``ref_layer`` (None: the same layer)."""

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    ref_layer: str | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """A table of one layer with its grain sentence, columns and keys.

    Its SQL is ``traveltide/sql/<layer>/<name>.sql`` (unless ``materialized`` is ``python``) and
    its business checks ``expectations/<layer>/<name>.json``. ``view`` tables are DuckDB views:
    readers see a table, but nothing is copied (silver's pass-through tables read bronze).
    ``published`` is False for work tables a build needs on the way: they get no suite and are
    not exported. ``may_be_empty`` tables (a list of problems) are not checked to hold rows.
    """

    layer: str
    name: str
    grain: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = field(default=())
    materialized: Materialized = "table"
    published: bool = True
    may_be_empty: bool = False

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

    def references(self, fk: ForeignKey) -> str:
        """The qualified name of the table ``fk`` points at."""
        return f"{fk.ref_layer or self.layer}.{fk.ref_table}"


@dataclass(frozen=True, slots=True)
class Layer:
    """A layer: its tables in build order (each reads only tables built before it).

    ``keys_enforced``: the primary and foreign keys hold in every row, and the layer's suites
    check them (generated from the contract). Bronze's keys are what the source claims; repeats
    and orphans there are silver's job, so bronze's are not enforced.
    """

    name: str
    description: str
    tables: tuple[Table, ...]
    keys_enforced: bool

    def __post_init__(self) -> None:
        for t in self.tables:
            if t.layer != self.name:
                raise ValueError(f"table {t.qualified_name} is declared in layer {self.name!r}")

    @property
    def published(self) -> tuple[Table, ...]:
        """The tables readers see (suites, Parquet), in build order."""
        return tuple(t for t in self.tables if t.published)

    @property
    def sql_tables(self) -> tuple[Table, ...]:
        """The tables built from SQL files, in build order (not those a Python model computes)."""
        return tuple(t for t in self.tables if t.materialized != "python")

    def table(self, name: str) -> Table:
        """The table called ``name``."""
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(f"no {self.name} table {name!r}; expected one of {[t.name for t in self.tables]}")
