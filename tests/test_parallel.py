"""Backends in a forked process for large stacks (compiler/parallel.py, issue #14): the same
files and diagnostics as one process, the child's exception raised in the parent, no fork for
small stacks."""
from __future__ import annotations

import os

import pytest
from conftest import ROOT

from infracc.compiler import parallel
from infracc.compiler.pipeline import analyze, emit

# eks: every target (an ecs stack has no Kubernetes or Helm output unless it lists them)
THREE = ROOT / "examples" / "microservices" / "stack.yaml"


def _emitted(targets: list[str] | None = None) -> tuple[dict[str, str], list[str]]:
    result = analyze(THREE)
    emit(result, targets)
    return {str(p): t for p, t in result.files.items()}, [f"{d.code} {d.message}" for d in result.diagnostics]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_forked_backends_write_what_one_process_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    alone = _emitted()
    forks: list[int] = []
    fork = os.fork

    def counting() -> int:
        pid = fork()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(parallel, "FORK_MIN_WORKLOADS", 0)
    monkeypatch.setattr(os, "fork", counting)
    split = _emitted()
    assert len(forks) == 1
    assert list(split[0]) == list(alone[0]) and split == alone
    assert any(p.startswith("kubernetes/") for p in split[0]) and any(p.startswith("terraform/") for p in split[0])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_failing_backend_in_the_child_fails_the_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    from infracc.backends.registry import BACKENDS

    def broken(ir: object) -> object:
        raise ValueError("docs exploded on purpose")

    monkeypatch.setattr(parallel, "FORK_MIN_WORKLOADS", 0)
    monkeypatch.setitem(BACKENDS, "docs", broken)
    with pytest.raises(ValueError, match="docs exploded on purpose"):
        _emitted(["helm", "docs"])


def test_small_stacks_and_single_sided_target_lists_do_not_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise AssertionError("forked")

    monkeypatch.setattr(os, "fork", no_fork)
    assert parallel.workloads(analyze(THREE).ir) < parallel.FORK_MIN_WORKLOADS  # type: ignore[arg-type]
    assert _emitted()[0]
    monkeypatch.setattr(parallel, "FORK_MIN_WORKLOADS", 0)
    assert _emitted(["kubernetes", "docs"])[0]  # nothing left for this process: no fork
    assert _emitted(["helm"])[0]
    monkeypatch.setenv("INFRACC_JOBS", "1")
    assert _emitted()[0]  # one process, whatever the size
