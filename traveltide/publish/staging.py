"""Safe publishing into the exports folder.

A run holds an exclusive lock on the exports folder, builds everything in a staging
folder inside it (same filesystem, so renames are atomic) and moves the finished files
into place only after every check passed. The extract is moved last, so a reader never
opens a half-written file; a killed run leaves only its staging folder, which the next
run removes.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from traveltide.errors import TravelTideError

__all__ = [
    "ExportsBusy",
    "FolderProblem",
    "current_umask",
    "exports_lock",
    "folder_problem",
    "follow_umask",
    "new_staging",
    "publish_staging",
    "remove_stale_staging",
]

STAGING_PREFIX = ".staging-"
LOCK_NAME = ".traveltide.lock"


class ExportsBusy(TravelTideError, RuntimeError):
    """Another run holds the exports folder."""


class FolderProblem(TravelTideError, OSError):
    """A folder the run writes to cannot be used; the message says why in words and what to do."""


def folder_problem(*, exc: OSError, folder: Path, setting: str) -> FolderProblem | None:
    """``exc``, raised while preparing ``folder`` (the ``setting`` that names it), said in words;
    None when it is not a problem with the folder itself (a full disk is said elsewhere)."""
    flag = f"--{setting.replace('_', '-')}" if setting == "exports" else f"the {setting} setting"
    if isinstance(exc, FileExistsError | NotADirectoryError):
        what = f"{folder} is a file, not a folder"
        todo = f"remove or rename the file, or point {flag} at a folder"
    elif isinstance(exc, PermissionError):
        what = f"this account may not write to {folder}"
        todo = f"give it write permission, or point {flag} at a folder it may write to"
    elif exc.errno == errno.EROFS:
        what = f"{folder} is on a read-only file system"
        todo = f"point {flag} at a writable folder"
    else:
        return None
    return FolderProblem(f"{what} ({exc.strerror}); {todo}. Nothing was published.")


@contextmanager
def exports_lock(*, exports: Path) -> Iterator[None]:
    """Hold the exports folder for one run; refuse at once if another run holds it."""
    exports.mkdir(parents=True, exist_ok=True)
    lock_path = exports / LOCK_NAME
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            raise ExportsBusy(
                f"another TravelTide run (pid {holder}) is writing to {exports}; "
                "wait for it to finish, or point --exports at another folder"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock, also when the process is killed


def remove_stale_staging(*, exports: Path) -> list[Path]:
    """Remove staging folders of earlier runs that died (only call while holding the lock)."""
    removed = []
    for p in sorted(exports.glob(f"{STAGING_PREFIX}*")):
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def new_staging(*, exports: Path, run_id: str) -> Path:
    """A fresh staging folder for this run inside ``exports``."""
    staging = exports / f"{STAGING_PREFIX}{run_id}"
    staging.mkdir(parents=True)
    return staging


def _replace(src: Path, dst: Path) -> None:
    if src.is_dir():
        old = dst.with_name(f"{STAGING_PREFIX}old-{dst.name}")
        if dst.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(dst, old)
        os.replace(src, dst)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(src, dst)


def current_umask() -> int:
    """The process's umask, read without changing it (``os.umask`` sets it, racing other threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def follow_umask(*, folder: Path) -> None:
    """Give everything under ``folder`` the modes the umask gives a new file or folder.

    Some writers create private files (Hyper writes the extract 0640, temporary files are
    0600); on a shared exports folder every reader of the .tds must also open its extract.
    """
    mask = current_umask()
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        path.chmod((0o777 if path.is_dir() else 0o666) & ~mask)


def publish_staging(*, staging: Path, exports: Path, last: tuple[str, ...] = ()) -> list[Path]:
    """Move every entry of ``staging`` into ``exports``; the names in ``last`` go last, in order.

    Each file replaces its predecessor atomically (rename on one filesystem); folders are
    swapped. Modes follow the umask. The staging folder is removed afterwards.
    """
    follow_umask(folder=staging)
    entries = sorted(p.name for p in staging.iterdir())
    order = [n for n in entries if n not in last] + [n for n in last if n in entries]
    published = []
    for name in order:
        _replace(staging / name, exports / name)
        published.append(exports / name)
    staging.rmdir()
    return published
