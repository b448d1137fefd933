"""Bronze: the four exports loaded as typed tables, every column, nothing dropped (SPEC §2)."""

from traveltide.bronze.header import BronzeError, read_header
from traveltide.bronze.load import BronzeReport, load_bronze

__all__ = ["BronzeError", "BronzeReport", "load_bronze", "read_header"]
