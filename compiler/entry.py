"""The `infracc` console script: `cli.run()` in a process tuned for a short life (issue #14).

Two costs of a cold process that are not infracc's work, both measured on `validate` (about
0.45 s of CPU for an example, before these):

- The cyclic garbage collector: the schema and decision models are ~150 pydantic classes built
  at import, and every 700 allocations started a collection over the growing heap (~40 ms in
  all). A short-lived compiler makes little cyclic garbage, so the first generation collects
  every 100,000 allocations instead (memory stays bounded: it still runs); the backends turn it
  off while they build their trees (`pipeline._no_gc`).
- Interpreter finalization: tearing down every module and freeing every object at exit
  (~40 ms). Once the command is done, stdout and stderr are flushed and the `atexit` handlers
  run (jsii's, which stops Node and removes its files, among them), then the process ends with
  the command's exit code without the teardown. Only when the main thread is the only one
  left; otherwise (a thread still running) Python's normal shutdown joins it as usual.

- Pydantic's plugin discovery: defining the first model scans every installed distribution's
  entry points for `pydantic` plugins (~15 ms here, more in a crowded environment). infracc uses
  none, so `PYDANTIC_DISABLE_PLUGINS=__all__` is set unless the caller set it.

- Compiling at import: the regular expressions (~75 in `validate`, ~18 ms) and the methods
  `@dataclass` writes (~270, ~28 ms) that modules compile while being imported come from
  stored programs and code objects instead (`precompiled.install`, before any other import).

- CDKTF's Node process starts ~0.5 s before Terraform can be synthesized. `compile` used to
  start it when its command body ran, after the CLI and the models were imported (~0.2 s in);
  `infracc compile` that will synthesize Terraform starts it here, before anything else is
  imported, so Node starts while Python imports and runs the passes (`_synthesizes` decides;
  `backends/cdk_warm.py` starts it).

`cli.run()` itself is unchanged for programs and tests that call it: it raises SystemExit.
"""
from __future__ import annotations

import atexit
import gc
import os
import sys
import threading

GC_THRESHOLD = (100_000, 50, 100)


def main() -> None:
    gc.set_threshold(*GC_THRESHOLD)
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from infracc.compiler import precompiled

    # Before anything compiles a regular expression or defines a dataclass; `--version` and
    # help define no dataclass (and importing `dataclasses` would cost them ~6 ms).
    precompiled.install(dataclasses=_runs_command(sys.argv[1:]))
    if _synthesizes(sys.argv[1:]):
        from infracc.backends import cdk_warm

        cdk_warm.prewarm()
    from infracc.compiler.cli import run

    try:
        run()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    _exit(code)


def _runs_command(args: list[str]) -> bool:
    """Whether the command line runs a command (not only `--version` or a help text)."""
    return any(not a.startswith("-") for a in args) and "-h" not in args and "--help" not in args


def _synthesizes(args: list[str]) -> bool:
    """Whether the command line is `infracc [flags] compile ...` that may synthesize Terraform:
    not a help request, and no `--target` list leaving Terraform out. (The group's own options
    are flags, so the first word that is not one is the command.)"""
    words = [a for a in args if not a.startswith("-")]
    if not words or words[0] != "compile" or "-h" in args or "--help" in args:
        return False
    targets = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--target"]
    targets += [a.partition("=")[2] for a in args if a.startswith("--target=")]
    return not targets or "terraform" in targets


def _status(code: object) -> int:
    """What `sys.exit(code)` makes the exit status: None is 0, an int itself, anything else is
    printed to stderr and exits 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _exit(code: object) -> None:
    status = _status(code)
    warm = sys.modules.get("infracc.backends.cdk_warm")
    if warm is not None:
        warm.settle()  # a prewarm still importing (a failed or refused compile): let it finish
    if threading.active_count() > 1:
        sys.exit(status)  # a thread is still running: the normal shutdown waits for it
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`infracc ... | head`): nothing more to say
            status = status or 120  # what Python's own shutdown returns when the flush fails
    os._exit(status)


if __name__ == "__main__":  # pragma: no cover
    main()
