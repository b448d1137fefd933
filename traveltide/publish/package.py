"""Packaged Tableau files (.tdsx, .twbx): the document and the extract in one zip, to hand on.

Inside, the extract sits at ``Data/Extracts/<name>.hyper`` and the document's connection points
there, as in the packages Tableau itself writes. The extract is stored, not deflated: Hyper
files barely compress, and deflating the largest file of a run would cost seconds for nothing.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

__all__ = ["PACKAGED_EXTRACT", "write_package"]

PACKAGED_EXTRACT = "Data/Extracts/traveltide.hyper"


def write_package(*, out: Path, document_name: str, document: str, extract: Path) -> Path:
    """Write ``out`` (.tdsx or .twbx) holding ``document`` as ``document_name`` and the extract."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as package:
        package.writestr(
            zipfile.ZipInfo(document_name, date_time=(2026, 1, 1, 0, 0, 0)), document, zipfile.ZIP_DEFLATED
        )
        package.write(extract, PACKAGED_EXTRACT, compress_type=zipfile.ZIP_STORED)
    return out
