"""Compile-time figures: median wall time and peak memory of validate and compile.

Runs in-process (after one warm-up, so import time is excluded and reported separately) for
every example and for generated stacks of 50, 200 and 500 services (with databases, queues
and buckets), so growth with size is visible. Prints a table; asserts nothing.

    python benchmarks/compile.py [--repeat 5] [--sizes 50,200,500]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from stacks import generated_stack  # noqa: E402


def measure(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm-up: imports, caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20


def main() -> None:
    from infracc.compiler.pipeline import analyze, emit

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="50,200,500")
    args = parser.parse_args()

    cases = [(p.parent.name, p) for p in sorted((ROOT / "examples").glob("*/stack.yaml"))]
    tmp = Path(tempfile.mkdtemp())
    for n in (int(s) for s in args.sizes.split(",")):
        path = tmp / f"gen-{n}" / "stack.yaml"
        path.parent.mkdir()
        path.write_text(generated_stack(n))
        cases.append((f"generated {n} services", path))

    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import infracc.compiler.cli"], check=True)
    print(f"CLI import (cold process): {time.perf_counter() - started:.2f} s\n")
    print(f"{'stack':<26} {'validate s':>11} {'peak MiB':>9} {'compile s':>10} {'peak MiB':>9} {'files':>6}")
    for label, path in cases:
        v_time, v_mem = measure(lambda p=path: analyze(p, skip=frozenset({"cost"})), args.repeat)

        def full(p=path):
            result = analyze(p)
            emit(result)
            return result

        c_time, c_mem = measure(full, args.repeat)
        files = len(full().files)
        print(f"{label:<26} {v_time:>11.3f} {v_mem:>9.1f} {c_time:>10.3f} {c_mem:>9.1f} {files:>6}", flush=True)


if __name__ == "__main__":
    main()
