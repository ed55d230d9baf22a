"""The backends of a large stack on two cores (issue #14: 500 services compile in ≤ 10 s).

The backends are independent functions of the checked IR, and for a large stack nearly all of
their time is Python building and writing text (500 services: terraform ~1.4 s, kubernetes
~3.9 s, helm ~3.6 s of CPU), which one process runs on one core, one backend after the other.
Above `FORK_MIN_WORKLOADS` services and jobs (over all environments) a forked child process
runs the backends named in `CHILD` on the other core while this process runs the rest, and
sends its files and diagnostics back pickled through a pipe. The output is the same: each
backend is the same function on the same IR, and `pipeline._run_backends` merges the results
in the targets' order (tests/test_parallel.py compares it with the sequential run).

Terraform always stays in this process: CDKTF's Node process and jsii's threads belong to it.
The child starts after the CDKTF prewarm has settled (no thread mid-import), never runs atexit
handlers or flushes inherited buffers (`os._exit`), and is killed if this process is
interrupted or fails first. An exception in the child is raised here. Without `os.fork`
(Windows), below the threshold or with `INFRACC_JOBS=1` everything runs here, in order, as
before.
"""
from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable, Sequence
from pathlib import PurePosixPath
from typing import Any

from infracc.compiler.diagnostics import Diagnostic
from infracc.compiler.ir import StackIR

Output = tuple[dict[PurePosixPath, str], list[Diagnostic]]
Backend = Callable[[StackIR], Output]

FORK_MIN_WORKLOADS = 300  # generated stacks: 50 services (150 workloads) stay in one process, 200 fork
CHILD = ("kubernetes", "compose", "docs", "ci", "docker")


def workloads(ir: StackIR) -> int:
    return sum(len(env.graph.components("service", "job")) for env in ir.envs.values())


def run(ir: StackIR, names: Sequence[str], backends: dict[str, Backend],
        progress: Callable[[str], None] | None = None) -> dict[str, Output]:
    """`{name: backend(ir)}` for every name, the `CHILD` ones in a forked process when the stack
    is large enough and something is left for this process to do meanwhile. `progress(name)` is
    called before each backend this process runs."""
    child = [n for n in names if n in CHILD]
    here = [n for n in names if n not in CHILD]
    if not (child and here and hasattr(os, "fork") and os.environ.get("INFRACC_JOBS") != "1"
            and workloads(ir) >= FORK_MIN_WORKLOADS):
        # Terraform last: its synthesis waits for CDKTF's Node process (started with the
        # command), and the other backends' work fills that wait. Merged in target order.
        ordered = [n for n in names if n != "terraform"] + [n for n in names if n == "terraform"]
        done = {n: _one(n, ir, backends, progress) for n in ordered}
        return {n: done[n] for n in names}
    if "terraform" in names:
        from infracc.backends import cdk_warm

        cdk_warm.settle()  # no thread may be mid-import when the child is forked
    return _split(ir, here, child, backends, progress)


def _one(name: str, ir: StackIR, backends: dict[str, Backend], progress: Callable[[str], None] | None) -> Output:
    if progress is not None:
        progress(name)
    return backends[name](ir)


def _split(ir: StackIR, here: list[str], child: list[str], backends: dict[str, Backend],
           progress: Callable[[str], None] | None) -> dict[str, Output]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (its work is checked through the parent)
        _child(read, write, ir, child, backends)
    os.close(write)
    try:
        out = {n: _one(n, ir, backends, progress) for n in here}
        with os.fdopen(read, "rb") as stream:
            read = -1
            data = stream.read()
        os.waitpid(pid, 0)
        pid = 0
    finally:
        if read >= 0:
            os.close(read)
        if pid:  # interrupted or failed here first: the child's work is not wanted
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
    if not data:
        raise RuntimeError(f"the process running the {', '.join(child)} backends died without a result")
    status, payload = pickle.loads(data)
    if status == "error":
        raise payload if isinstance(payload, BaseException) else RuntimeError(str(payload))
    assert isinstance(payload, dict)
    out.update(payload)
    return out


def _child(read: int, write: int, ir: StackIR, names: list[str], backends: dict[str, Backend]) -> None:  # pragma: no cover
    """Run `names`, send the result (or the exception), and leave without any exit handling."""
    try:
        os.close(read)
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # the parent reports an interrupt, not us
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        result: tuple[str, Any]
        try:
            result = ("ok", {n: backends[n](ir) for n in names})
        except Exception as exc:  # noqa: BLE001 - raised again in the parent
            result = ("error", exc)
        try:
            data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - an exception that does not pickle: its text
            data = pickle.dumps(("error", f"{type(result[1]).__name__}: {result[1]} ({exc})"))
        with os.fdopen(write, "wb") as stream:
            stream.write(data)
    finally:
        os._exit(0)
