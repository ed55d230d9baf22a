"""Writes generated files into the output directory, all or nothing.

Files are written into a temporary sibling directory and swapped in by rename, so a failed
compile never leaves `out/` half-written. `infracc.lock.json` lists every file with its
sha256; `check` compares a directory against freshly generated files. infracc only replaces
a directory that is empty or that it created (it holds the lock file).

The sibling directories are named `.out.tmp-<pid>-<hex>` (new output) and `.out.old-<pid>-<hex>`
(the previous output during the swap). A compile that is killed leaves them behind; the next
compile into the same directory removes those whose process is gone (or that are older than
`STALE_AFTER`). Writers into one parent directory hold an flock on it, so a live writer's
directory is never swept; the pid check also keeps compiles that skip the lock (NFS, old
versions) safe. SIGINT/SIGTERM are held during the two renames of the swap.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import stat
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

LOCK_FILE = "infracc.lock.json"
STALE_AFTER = 600.0  # seconds; a sibling directory this old is stale whatever its pid says


class OutputError(Exception):
    """The output directory cannot be used (a user error, reported as IC-OUT-001)."""


@dataclass
class Drift:
    stale: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.stale or self.missing or self.unexpected)


def lock_text(files: dict[PurePosixPath, str], version: str) -> str:
    digests = {str(p): hashlib.sha256(t.encode("utf-8")).hexdigest() for p, t in sorted(files.items())}
    return json.dumps({"generator": f"infracc {version}", "files": digests}, indent=2, sort_keys=True) + "\n"


def with_lock(files: dict[PurePosixPath, str], version: str) -> dict[PurePosixPath, str]:
    return {**files, PurePosixPath(LOCK_FILE): lock_text(files, version)}


def write(out: Path, files: dict[PurePosixPath, str]) -> None:
    out = out.absolute()
    _check_owned(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with _locked(out.parent):
        sweep_stale(out)
        tmp = _sibling(out, "tmp")
        try:
            for rel, text in sorted(files.items()):
                target = tmp / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8", newline="\n")
            os.chmod(tmp, 0o755)
            _swap(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def check(out: Path, files: dict[PurePosixPath, str]) -> Drift:
    drift = Drift()
    expected = {str(p): t for p, t in files.items()}
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} if out.is_dir() else set()
    for rel, text in sorted(expected.items()):
        if rel not in present:
            drift.missing.append(rel)
        elif (out / rel).read_bytes() != text.encode("utf-8"):
            drift.stale.append(rel)
    drift.unexpected = sorted(present - set(expected))
    return drift


def _check_owned(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / LOCK_FILE).is_file():
        raise OutputError(f"{out} is not empty and was not created by infracc (no {LOCK_FILE})")


def sweep_stale(out: Path) -> list[Path]:
    """Remove the `.<out>.tmp-*` / `.<out>.old-*` directories that killed compiles left beside
    `out`; returns what was removed. Call it holding `_locked(out.parent)`."""
    names = re.compile(rf"\.{re.escape(out.name)}\.(?:tmp|old)-(?:(?P<pid>\d+)-[0-9a-f]{{8}}|[a-z0-9_]{{8}})")
    removed: list[Path] = []
    try:
        entries = list(os.scandir(out.parent))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        match = names.fullmatch(entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        pid = match["pid"]  # None: the name format before pids (tempfile.mkdtemp)
        if now - info.st_mtime > STALE_AFTER or (pid is not None and not _other_live_process(int(pid))):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def _other_live_process(pid: int) -> bool:
    """Whether `pid` is a running process other than this one (this process has no sibling
    directory yet when it sweeps; one with its pid is from an earlier process, e.g. in a container)."""
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, OSError):
        return False
    return True


def _sibling(out: Path, kind: str) -> Path:
    """Create `.<out>.<kind>-<pid>-<hex>` beside `out` (mode 0700, like mkdtemp)."""
    while True:
        path = out.parent / f".{out.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue
        return path


def _swap(new: Path, out: Path) -> None:
    if not out.exists():
        with _signals_held():
            new.rename(out)
        return
    old = _sibling(out, "old")
    old.rmdir()
    swapped = False
    try:
        with _signals_held():
            out.rename(old)
            try:
                new.rename(out)
            except BaseException:
                old.rename(out)
                raise
            swapped = True
    finally:
        if swapped:  # never delete the previous output unless the new one is in place
            shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _signals_held():
    """Defer SIGINT/SIGTERM until the block is done, so an interrupt lands before or after the
    swap and never between its renames. Only the main thread can change handlers; elsewhere
    (a server's worker thread) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous: dict[int, object] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(signum)
        if handler is None or handler == signal.SIG_IGN:  # not set from Python, or ignored: leave it
            continue
        previous[signum] = handler
        signal.signal(signum, lambda received, _frame: pending.append(received))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(pending):
            signal.raise_signal(signum)


@contextmanager
def _locked(directory: Path):
    """Serialize concurrent compiles into the same parent directory (advisory flock)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
