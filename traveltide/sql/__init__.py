"""The pipeline's SQL, as package files: one SELECT per table in ``<layer>/<table>.sql`` (named
after the table it builds), bronze's load statements in ``bronze/``, and the table macros the
files share in ``macros/`` (one per file, named after the macro)."""

from __future__ import annotations

from importlib.resources import files

__all__ = ["macro_statements", "read_sql", "sql_path"]


def sql_path(*, layer: str, name: str) -> str:
    """Where the SQL of ``layer``/``name`` lives in the repository, for messages."""
    return f"traveltide/sql/{layer}/{name}.sql"


def read_sql(*, layer: str, name: str) -> str:
    """The text of ``traveltide/sql/<layer>/<name>.sql``."""
    return (files("traveltide.sql") / layer / f"{name}.sql").read_text(encoding="utf-8")


def macro_statements() -> list[str]:
    """The CREATE MACRO statements of ``macros/``, in name order."""
    folder = files("traveltide.sql") / "macros"
    return [
        p.read_text(encoding="utf-8") for p in sorted(folder.iterdir(), key=lambda p: p.name) if p.name.endswith(".sql")
    ]
