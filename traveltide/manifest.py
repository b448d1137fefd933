"""The run manifest: what the extract holds and where it came from, readable on its own."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

__all__ = ["sha256_of", "write_manifest", "read_manifest"]


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_manifest(*, manifest: dict[str, Any], path: Path, staging: Path) -> Path:
    """Write ``manifest`` plus the list of published files (size, SHA-256) as JSON at ``path``."""
    outputs = []
    for f in sorted(p for p in staging.rglob("*") if p.is_file() and p != path):
        outputs.append({"path": f.relative_to(staging).as_posix(), "size": f.stat().st_size, "sha256": sha256_of(f)})
    doc = {**manifest, "outputs": outputs}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def read_manifest(*, path: Path) -> dict[str, Any]:
    """The manifest at ``path`` as a dict."""
    return json.loads(path.read_text(encoding="utf-8"))
