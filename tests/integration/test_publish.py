from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from traveltide.publish.staging import (
    ExportsBusy,
    exports_lock,
    new_staging,
    publish_staging,
    remove_stale_staging,
)


def test_publish_moves_files_and_folders_and_removes_staging(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "traveltide.hyper").write_text("old")
    (exports / "plots").mkdir()
    (exports / "plots" / "stale.png").write_text("stale")
    staging = new_staging(exports=exports, run_id="r1")
    (staging / "traveltide.hyper").write_text("new")
    (staging / "manifest.json").write_text("{}")
    (staging / "plots").mkdir()
    (staging / "plots" / "elbow.png").write_text("png")

    published = publish_staging(staging=staging, exports=exports, last=("manifest.json", "traveltide.hyper"))

    assert [p.name for p in published][-2:] == ["manifest.json", "traveltide.hyper"]
    assert (exports / "traveltide.hyper").read_text() == "new"
    assert sorted(p.name for p in (exports / "plots").iterdir()) == ["elbow.png"]
    assert not staging.exists()
    assert sorted(p.name for p in exports.iterdir()) == ["manifest.json", "plots", "traveltide.hyper"]


def test_stale_staging_folders_are_removed(tmp_path: Path) -> None:
    exports = tmp_path
    s = new_staging(exports=exports, run_id="dead")
    (s / "traveltide.hyper").write_text("partial")
    (exports / "traveltide.hyper").write_text("good")
    assert remove_stale_staging(exports=exports) == [s]
    assert sorted(p.name for p in exports.iterdir()) == ["traveltide.hyper"]


def test_second_run_on_same_exports_is_refused_clearly(tmp_path: Path) -> None:
    # The holder is another process, as with two scheduled runs.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from pathlib import Path
                from traveltide.publish.staging import exports_lock
                with exports_lock(exports=Path({str(tmp_path)!r})):
                    print("locked", flush=True)
                    sys.stdin.readline()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ExportsBusy, match=rf"another TravelTide run \(pid {holder.pid}\) is writing to {tmp_path}"):
            with exports_lock(exports=tmp_path):
                pass
    finally:
        holder.communicate("\n", timeout=30)
    with exports_lock(exports=tmp_path):  # released when the holder exits
        pass
