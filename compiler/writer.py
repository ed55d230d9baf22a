"""Writes generated files into the output directory, all or nothing.

Files are written into a temporary sibling directory and swapped in by rename, so a failed
compile never leaves `out/` half-written. `infracc.lock.json` lists every file with its
sha256; `check` compares a directory against freshly generated files. infracc only replaces
a directory that is empty or that it created (it holds the lock file).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

LOCK_FILE = "infracc.lock.json"


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
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
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


def _swap(new: Path, out: Path) -> None:
    if not out.exists():
        new.rename(out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()
    out.rename(old)
    try:
        new.rename(out)
    except BaseException:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)


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
