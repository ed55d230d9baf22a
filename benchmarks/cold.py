"""What users feel: cold `infracc` processes, each timed from fork to exit (`make bench`).

For every example and for generated stacks of 50/200/500 services it runs `validate`,
`compile` and `cost` (and `check` on each compiled example), plus `--version` once, in fresh
processes: the median of `--repeat` runs (default 3), with the peak memory of the run. The
machine's floor is measured in the same run (`python -c pass`, `python -c "import pydantic"`)
and printed beside every figure, so a loaded machine shows as a high floor. Asserts nothing:
it is a measurement, not a test.

Bytecode: this machine sets PYTHONDONTWRITEBYTECODE, so without care every process would
compile every module from source. As after a normal install, the package and site-packages
are byte-compiled once (`compileall`, skipped per file when up to date) and the measured
children run without PYTHONDONTWRITEBYTECODE.

Peak memory is `ru_maxrss` from `os.wait4` of each child: the largest resident set of any one
process in its tree (infracc itself, or the Node process CDKTF starts), not their sum. CPU s is
user + system time of the child and the processes it waited for (Node, checkov), the median
of the runs: on a shared machine it moves much less than wall time.

Compiled templates: the first compile after an install writes them to
library/templates/__pycache__ (as Python writes .pyc files; backends/templating.py), so one
untimed compile runs before the measurements.

    python benchmarks/cold.py [--repeat 3] [--sizes 50,200,500] [--only validate,compile]
                              [--quick]      # one run per figure, generated stacks 50 and 500 only
                              [--tree DIR]   # measure another checkout (e.g. the code before a change)
"""
from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from stacks import generated_stack  # noqa: E402

ROOTS = ("compiler", "schema", "backends", "library")
# The targets (cold process medians on this machine); "-" where it sets none.
TARGETS = {"--version": 0.15, "validate": 0.25, "compile": 1.0, "check": 30.0}
GENERATED_COMPILE = 10.0  # 500 services
GENERATED_MEMORY_MIB = 500


@dataclass
class Figure:
    median: float
    low: float
    high: float
    peak_mib: float
    cpu: float
    code: int


def oracle_bin() -> Path | None:
    """Where `make test` installs checkov and hadolint (.venv-oracles; $INFRACC_ORACLES names it)."""
    found = Path(os.environ.get("INFRACC_ORACLES") or ROOT / ".venv-oracles" / "bin")
    return found if found.is_dir() else None


def _child_env(tree: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    oracles = oracle_bin()
    if oracles is not None:  # `check` finds the validators on PATH, as a user's install would
        env["PATH"] = f"{env.get('PATH', '')}{os.pathsep}{oracles}"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("INFRACC_DEBUG", None)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    return env


def _once(cmd: Sequence[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float, int]:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()  # drained while it runs; a full pipe would stall the child
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if proc.returncode not in (0, 1):
        tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
        print(f"  ! {' '.join(cmd[-4:])}: exit {proc.returncode}: {' / '.join(tail)}", file=sys.stderr)
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, proc.returncode


def measure(cmd: Sequence[str], env: dict[str, str], repeat: int, cwd: Path = ROOT) -> Figure:
    runs = [_once(cmd, env, cwd) for _ in range(repeat)]
    times = [r[0] for r in runs]
    return Figure(statistics.median(times), min(times), max(times), max(r[1] for r in runs),
                  statistics.median(r[2] for r in runs), max(r[3] for r in runs))


def byte_compile(tree: Path | None) -> None:
    """Write the .pyc files a normal install has (compileall skips what is up to date)."""
    dirs = [Path(sysconfig.get_paths()["purelib"])]
    base = tree / "infracc" if tree is not None else ROOT
    dirs += [base / r for r in ROOTS]
    for d in dirs:
        compileall.compile_dir(str(d), quiet=2, workers=1)


def _infracc(tree: Path | None) -> list[str]:
    script = Path(sys.executable).parent / "infracc"
    if tree is None and script.is_file():
        return [str(script)]
    # The console script's own code, so a --tree checkout is imported instead of this one (its
    # compiler/entry.py when it has one, else cli.run as before that).
    return [sys.executable, "-c", "import sys; sys.argv[0] = 'infracc'\n"
            "try:\n    from infracc.compiler.entry import main\nexcept ImportError:\n"
            "    from infracc.compiler.cli import run as main\nsys.exit(main())"]


def cases(sizes: list[int], scratch: Path) -> list[tuple[str, Path]]:
    found = [(p.parent.name, p) for p in sorted((ROOT / "examples").glob("*/stack.yaml"))]
    for n in sizes:
        path = scratch / f"gen-{n}" / "stack.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(generated_stack(n), encoding="utf-8")
        found.append((f"generated {n}", path))
    return found


def _target(command: str, label: str) -> float | None:
    if label.startswith("generated"):
        return GENERATED_COMPILE if command == "compile" and label == "generated 500" else None
    return TARGETS.get(command)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=None, help="runs per figure (default 3; 1 with --quick)")
    parser.add_argument("--sizes", default=None, help="generated stacks (services); empty for none "
                        "(default 50,200,500; 50,500 with --quick)")
    parser.add_argument("--quick", action="store_true", help="one run per figure, generated stacks 50 and 500")
    parser.add_argument("--only", default="validate,compile,cost,check",
                        help="commands to run per stack (comma-separated)")
    parser.add_argument("--tree", type=Path, help="a directory holding infracc/{compiler,schema,backends,library}")
    args = parser.parse_args()
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.sizes is None:
        args.sizes = "50,500" if args.quick else "50,200,500"
    commands = [c for c in args.only.split(",") if c]
    sizes = [int(s) for s in args.sizes.split(",") if s]
    env = _child_env(args.tree)
    python = sys.executable
    infracc = _infracc(args.tree)

    byte_compile(args.tree)
    first = sorted((ROOT / "examples").glob("*/stack.yaml"))[0]
    with tempfile.TemporaryDirectory(prefix="infracc-bench-warmup-") as warm:  # writes the template cache
        _once([*infracc, "compile", str(first), "-o", str(Path(warm) / "out")], env, ROOT)
    load = os.getloadavg()
    print(f"cold processes, median of {args.repeat}; .pyc caches present (compileall once, children run without "
          f"PYTHONDONTWRITEBYTECODE); {os.cpu_count()} CPUs, load average {load[0]:.2f} at start; "
          f"peak = largest resident process of the run (ru_maxrss from wait4); CPU = user+sys incl. children")
    if args.tree:
        print(f"code measured: {args.tree}")
    print(f"validators for `check`: PATH + {oracle_bin() or '(no .venv-oracles: only what PATH has)'}")
    floor = measure([python, "-c", "pass"], env, args.repeat)
    floor_pydantic = measure([python, "-c", "import pydantic"], env, args.repeat)
    print(f"floor: `python -c pass` {floor.median:.3f} s, `python -c \"import pydantic\"` {floor_pydantic.median:.3f} s\n")

    header = ("| stack | command | median s | min–max s | over floor s | target s | CPU s | peak MiB |\n"
              "|---|---|---:|---:|---:|---:|---:|---:|")
    print(header)

    def row(label: str, command: str, fig: Figure) -> None:
        target = _target(command, label)
        mark = "" if target is None else f"≤ {target:g} {'ok' if fig.median <= target else 'OVER'}"
        if fig.code not in (0, 1):
            mark += f" (exit {fig.code})"
        print(f"| {label} | {command} | {fig.median:.3f} | {fig.low:.2f}–{fig.high:.2f} | "
              f"{fig.median - floor.median:.3f} | {mark} | {fig.cpu:.2f} | {fig.peak_mib:.0f} |", flush=True)

    row("floor", "python -c pass", floor)
    row("floor", "python -c \"import pydantic\"", floor_pydantic)
    row("-", "--version", measure([*infracc, "--version"], env, args.repeat))
    scratch = Path(tempfile.mkdtemp(prefix="infracc-bench-"))
    try:
        for label, path in cases(sizes, scratch):
            out = scratch / f"out-{label.replace(' ', '-')}"
            for command in commands:
                if command == "validate":
                    row(label, command, measure([*infracc, "validate", str(path)], env, args.repeat))
                elif command == "compile":
                    row(label, command, measure([*infracc, "compile", str(path), "-o", str(out)], env, args.repeat))
                elif command == "cost":
                    row(label, command, measure([*infracc, "cost", str(path)], env, args.repeat))
                elif command == "check" and not label.startswith("generated"):
                    if not out.is_dir():
                        _once([*infracc, "compile", str(path), "-o", str(out)], env, ROOT)
                    row(label, command, measure([*infracc, "check", str(out)], env, args.repeat))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    end = os.getloadavg()
    print(f"\nfloor rerun at the end: `python -c pass` {measure([python, '-c', 'pass'], env, args.repeat).median:.3f} s; "
          f"load average {end[0]:.2f}")


if __name__ == "__main__":
    main()
