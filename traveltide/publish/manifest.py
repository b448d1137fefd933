"""The run manifest: what the extract holds and where it came from, readable on its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from traveltide.sources.hashing import files_sha256

__all__ = ["write_manifest", "read_manifest"]


def write_manifest(*, manifest: dict[str, Any], path: Path, staging: Path) -> Path:
    """Write ``manifest`` plus the list of published files (size, SHA-256) as JSON at ``path``."""
    files = sorted(p for p in staging.rglob("*") if p.is_file() and p != path)
    outputs = [
        {"path": f.relative_to(staging).as_posix(), "size": f.stat().st_size, "sha256": sha}
        for f, sha in zip(files, files_sha256(paths=files), strict=True)
    ]
    doc = {**manifest, "outputs": outputs}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def read_manifest(*, path: Path) -> dict[str, Any]:
    """The manifest at ``path`` as a dict."""
    return json.loads(path.read_text(encoding="utf-8"))
