"""Exit codes of the real `infracc` process: internal errors (3, with or without INFRACC_DEBUG),
Ctrl-C / SIGTERM during a compile (130 / 143, one line, output untouched) and the temporary
directories beside out/ (a killed compile's are swept, an interrupted one removes its own)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath

import pytest
from conftest import ROOT

from infracc.compiler import writer

# Signals land mid-compile: beside a saturated parallel suite the timing windows close, so
# `make test` runs this module on its own after the rest (marker `serial`).
pytestmark = pytest.mark.serial

THREE = str(ROOT / "examples" / "three-tier" / "stack.yaml")
INFRACC = str(Path(sys.executable).parent / "infracc")
TIMEOUT = 300

# A compile whose `docs` backend fails, run through the real entry point.
BROKEN_BACKEND = """
import sys
from infracc.backends.registry import BACKENDS
from infracc.compiler.cli import run

def broken(ir):
    raise RuntimeError("backend exploded on purpose")

BACKENDS["docs"] = broken
sys.argv = ["infracc", *sys.argv[1:]]
run()
"""

# A compile that sends itself SIGINT after writing a few files into the temporary directory.
INTERRUPTED_WHILE_WRITING = """
import os, pathlib, signal, sys
from infracc.compiler.cli import run

write_text = pathlib.Path.write_text
written = []

def counting(self, *args, **kwargs):
    result = write_text(self, *args, **kwargs)
    if ".tmp-" in str(self):
        written.append(self)
        if len(written) == 5:
            os.kill(os.getpid(), signal.SIGINT)
    return result

pathlib.Path.write_text = counting
sys.argv = ["infracc", *sys.argv[1:]]
run()
"""


def _default_signals() -> None:
    """In the child: SIGINT/SIGTERM as a terminal would deliver them. A shell running this suite
    in the background (or under nohup) starts it with SIGINT ignored, which infracc respects, and
    the child would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _env(tmp: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "INFRACC_DEBUG"}
    if tmp is not None:
        env["TMPDIR"] = str(tmp)
    return env


def _previous_output(out: Path) -> dict[str, bytes]:
    """An out/ that infracc may replace (it holds the lock file) with content no compile makes."""
    out.mkdir(parents=True)
    (out / writer.LOCK_FILE).write_text('{"files": {}, "generator": "infracc test"}\n')
    (out / "keep.txt").write_text("from the previous compile\n")
    return _snapshot(out)


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# 1. internal errors


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "INFRACC_DEBUG=1"])
def test_internal_error_exits_3(tmp_path: Path, debug: bool) -> None:
    env = _env()
    if debug:
        env["INFRACC_DEBUG"] = "1"
    proc = subprocess.run([sys.executable, "-c", BROKEN_BACKEND, "compile", THREE, "--target", "docs",
                           "-o", str(tmp_path / "out")], capture_output=True, text=True, env=env, timeout=TIMEOUT)
    assert proc.returncode == 3, proc.stderr
    assert "internal error (RuntimeError: backend exploded on purpose)" in proc.stderr
    if debug:
        assert "Traceback (most recent call last)" in proc.stderr
        assert "in broken" in proc.stderr  # the whole traceback, down to the failing frame
    else:
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
        assert "INFRACC_DEBUG=1" in proc.stderr
    assert not (tmp_path / "out").exists()


# 2. SIGINT / SIGTERM while Terraform synthesis runs


def _signal_during_synthesis(tmp_path: Path, signum: int, *, group: bool) -> tuple[subprocess.Popen, str, Path, dict]:
    """Start a compile, wait until CDKTF synthesis is under way (its `infracc-cdktf-*` directory
    exists in the private TMPDIR), then send `signum` to the process group (what Ctrl-C in a
    terminal does: Node gets it too) or to infracc only. Retries when the compile got past
    synthesis before the signal went out; skips if that keeps happening."""
    for attempt in range(3):
        work = tmp_path / f"attempt{attempt}"
        tmp = work / "tmp"
        tmp.mkdir(parents=True)
        out = work / "out"
        before = _previous_output(out)
        proc = subprocess.Popen([INFRACC, "compile", THREE, "-o", str(out)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=_env(tmp), start_new_session=True,
                                preexec_fn=_default_signals)
        try:
            while proc.poll() is None and not any(p.name.startswith("infracc-cdktf-") for p in tmp.iterdir()):
                time.sleep(0.005)
            # Into the jsii calls: a signal at the very instant of mkdtemp, before synth.py's
            # `try`, would leave that directory behind (a window this test would hit on purpose).
            time.sleep(0.05)
            if proc.poll() is None:
                if group:
                    os.killpg(proc.pid, signum)
                else:
                    proc.send_signal(signum)
            _, err = proc.communicate(timeout=TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        if proc.returncode != 0:
            return proc, err, out, before
        # exit 0: the compile finished before synthesis was seen or the signal was handled
    pytest.skip("the compile kept finishing synthesis before the signal arrived (machine too fast or too loaded)")


@pytest.mark.parametrize(("signum", "group", "code"), [(signal.SIGINT, True, 130), (signal.SIGTERM, False, 143)],
                         ids=["ctrl-c-to-group", "sigterm"])
def test_signal_during_synthesis(tmp_path: Path, signum: int, group: bool, code: int) -> None:
    proc, err, out, before = _signal_during_synthesis(tmp_path, signum, group=group)
    assert proc.returncode == code, err
    assert err.splitlines() == ["infracc: interrupted"], err
    assert "Traceback" not in err and "Aborted" not in err
    assert _snapshot(out) == before, "out/ changed"
    assert _siblings(out) == []
    assert not [p for p in (out.parent / "tmp").iterdir() if p.name.startswith("infracc-cdktf-")]


# 3. temporary directories beside out/


def test_interrupt_while_writing_removes_its_temp_dir(tmp_path: Path) -> None:
    out = tmp_path / "out"
    before = _previous_output(out)
    proc = subprocess.run([sys.executable, "-c", INTERRUPTED_WHILE_WRITING, "compile", THREE, "--target", "docker",
                           "-o", str(out)], capture_output=True, text=True, env=_env(), timeout=TIMEOUT, preexec_fn=_default_signals)
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr.splitlines() == ["infracc: interrupted"]
    assert _snapshot(out) == before
    assert _siblings(out) == []


def test_compile_sweeps_stale_temp_dirs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _previous_output(out)
    dead = _dead_pid()
    stale = [f".out.tmp-{dead}-0badc0de", f".out.old-{dead}-12345678", ".out.tmp-k3y_9zq0"]
    kept = [f".out.tmp-{os.getpid()}-abcdef01",  # a live process (this test), recent
            f".other.tmp-{dead}-0badc0de",  # another output directory's
            ".out.tmp-notours"]  # not a name infracc makes
    for name in stale + kept:
        (tmp_path / name / "docs").mkdir(parents=True)
        (tmp_path / name / "docs" / "partial.md").write_text("half\n")
    hour_ago = time.time() - 3600
    os.utime(tmp_path / ".out.tmp-k3y_9zq0", (hour_ago, hour_ago))  # old-style name: stale by age
    proc = subprocess.run([INFRACC, "compile", THREE, "--target", "docker", "-o", str(out)],
                          capture_output=True, text=True, env=_env(), timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    assert (out / "docker" / "README.md").is_file() and not (out / "keep.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == sorted(kept)


def test_sweep_keeps_a_live_writers_dir_and_removes_old_ones(tmp_path: Path) -> None:
    out = tmp_path / "out"
    live = tmp_path / f".out.tmp-{os.getppid()}-00000000"
    aged = tmp_path / f".out.tmp-{os.getppid()}-11111111"
    mine = tmp_path / f".out.old-{os.getpid()}-22222222"  # this pid cannot own one yet: an earlier process's
    for path in (live, aged, mine):
        path.mkdir()
    old = time.time() - writer.STALE_AFTER - 60
    os.utime(aged, (old, old))
    assert sorted(p.name for p in writer.sweep_stale(out)) == sorted([aged.name, mine.name])
    assert live.is_dir()


def test_writer_names_its_temp_dirs_with_its_pid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    swap = writer._swap

    def spy(new: Path, out: Path) -> None:
        seen.append(new.name)
        swap(new, out)

    monkeypatch.setattr(writer, "_swap", spy)
    writer.write(tmp_path / "out", writer.with_lock({PurePosixPath("a.txt"): "a\n"}, "test"))
    writer.write(tmp_path / "out", writer.with_lock({PurePosixPath("a.txt"): "b\n"}, "test"))
    assert all(name.startswith(f".out.tmp-{os.getpid()}-") for name in seen)
    assert (tmp_path / "out" / "a.txt").read_text() == "b\n"
    assert _siblings(tmp_path / "out") == []


def test_signals_are_held_during_the_swap() -> None:
    events: list[str] = []
    previous = signal.signal(signal.SIGINT, lambda *_: events.append("signal"))
    try:
        with writer._signals_held():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)
            events.append("swapped")
        assert events == ["swapped", "signal"]
    finally:
        signal.signal(signal.SIGINT, previous)
