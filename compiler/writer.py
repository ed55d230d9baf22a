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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import FrameType
from typing import Any

LOCK_FILE = "infracc.lock.json"

# Terraform's own working files in a generated directory: `terraform init` writes the provider
# cache (`.terraform/`) and the dependency lock file (`.terraform.lock.hcl`, meant to be
# committed), `plan -out` a plan, a local backend its state. They are not generated, so they are
# not in the lock file; a compile carries them into the new output (hard links, no data copied)
# and `--check` ignores them. A generated file of the same name is generated and wins.
WORKING_DIRS = frozenset({".terraform"})
WORKING_FILES = frozenset({".terraform.lock.hcl", "tfplan", "terraform.tfstate", "terraform.tfstate.backup",
                           ".terraform.tfstate.lock.info", "crash.log"})
WORKING_SUFFIXES = (".tfplan",)
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


IGNORE_FILE = PurePosixPath(".gitignore")
IGNORE_TEXT = """\
# Written by infracc. Terraform's working files: compiles keep them and `--check` ignores them.
# Commit each `.terraform.lock.hcl` (it pins the providers' checksums); never commit these:
.terraform/
tfplan
*.tfplan
terraform.tfstate
terraform.tfstate.backup
.terraform.tfstate.lock.info
crash.log
"""


def with_lock(files: dict[PurePosixPath, str], version: str) -> dict[PurePosixPath, str]:
    """The output as written: the generated files, a `.gitignore` for Terraform's working files
    (unless a backend wrote one) and `infracc.lock.json` listing all of them."""
    if any("terraform" in PurePosixPath(p).parts for p in files):
        files = {IGNORE_FILE: IGNORE_TEXT, **files}
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
            carry_working_files(out, tmp, {str(p) for p in files})
            os.chmod(tmp, 0o755)
            _swap(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def check(out: Path, files: dict[PurePosixPath, str]) -> Drift:
    """Compare `out` with freshly generated `files`; Terraform's working files are not drift."""
    drift = Drift()
    expected = {str(p): t for p, t in files.items()}
    present: set[str] = set()
    for rel, is_dir in _walk(out):
        if is_dir:
            if PurePosixPath(rel).name not in WORKING_DIRS:
                present.add(rel.rstrip("/"))  # a symlinked directory infracc never writes
        elif rel in expected or not is_working_file(PurePosixPath(rel)):
            present.add(rel)
    for rel, text in sorted(expected.items()):
        if rel not in present:
            drift.missing.append(rel)
        elif (out / rel).read_bytes() != text.encode("utf-8"):
            drift.stale.append(rel)
    drift.unexpected = sorted(present - set(expected))
    return drift


def is_working_file(rel: PurePosixPath) -> bool:
    """Whether `rel` (relative to the output) is one of Terraform's working files (see WORKING_*)."""
    if any(part in WORKING_DIRS for part in rel.parts[:-1]):
        return True
    return rel.name in WORKING_FILES or rel.name.endswith(WORKING_SUFFIXES)


def _walk(out: Path) -> list[tuple[str, bool]]:
    """Every file and symlink under `out` as (relative posix path, is-a-working-directory entry),
    without descending into `.terraform/` (a provider cache holds thousands of files)."""
    found: list[tuple[str, bool]] = []
    if not out.is_dir():
        return found
    for root, dirs, names in os.walk(out):
        base = Path(root).relative_to(out)
        keep = []
        for name in sorted(dirs):
            path = Path(root) / name
            if name in WORKING_DIRS or path.is_symlink():
                found.append(((base / name).as_posix() + "/", True))
            else:
                keep.append(name)
        dirs[:] = keep
        found.extend(((base / name).as_posix(), False) for name in sorted(names))
    return found


def carry_working_files(out: Path, new: Path, generated: set[str]) -> list[str]:
    """Hard-link Terraform's working files from the current output into the new one (copy where
    the filesystem has no hard links); returns what was carried."""
    carried: list[str] = []
    for rel, is_dir in _walk(out):
        src = out / rel
        if is_dir:
            if PurePosixPath(rel).name not in WORKING_DIRS:
                continue  # a symlinked directory that is not a working directory: not ours to carry
            dst = new / rel.rstrip("/")
            if dst.exists():
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(src, dst, symlinks=True, copy_function=_link_or_copy)
        elif rel not in generated and is_working_file(PurePosixPath(rel)):
            dst = new / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_symlink():
                os.symlink(os.readlink(src), dst)
            else:
                _link_or_copy(str(src), str(dst))
        else:
            continue
        carried.append(rel)
    return carried


def _link_or_copy(src: str, dst: str) -> str:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)
    return dst


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


_Handler = Callable[[int, FrameType | None], Any] | int | None


@contextmanager
def _signals_held() -> Iterator[None]:
    """Defer SIGINT/SIGTERM until the block is done, so an interrupt lands before or after the
    swap and never between its renames. Only the main thread can change handlers; elsewhere
    (a server's worker thread) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous: dict[signal.Signals, _Handler] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(signum)
        if handler is None or handler == signal.SIG_IGN:  # not set from Python, or ignored: leave it
            continue
        previous[signum] = handler
        signal.signal(signum, lambda received, _frame: pending.append(received))
    try:
        yield
    finally:
        for held, handler in previous.items():
            signal.signal(held, handler)
        for received in dict.fromkeys(pending):
            signal.raise_signal(received)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Serialize concurrent compiles into the same parent directory (advisory flock)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
