"""Golden files: every example's generated output, per top-level output folder.

`pytest tests/test_golden.py --update-golden` rewrites them (add `-k <folder>` to limit).
"""
from __future__ import annotations

import difflib
import shutil

import pytest
from conftest import EXAMPLES, ROOT, compiled, output_files

GOLDEN = ROOT / "tests" / "golden"
TOPS = ("terraform", "kubernetes", "helm", "docker", "compose", "ci", "docs")


@pytest.mark.parametrize("top", TOPS)
@pytest.mark.parametrize("example", EXAMPLES)
def test_golden(example: str, top: str, update_golden: bool) -> None:
    files = output_files(example, top)
    root = GOLDEN / example / top
    if update_golden:
        shutil.rmtree(root, ignore_errors=True)
        for rel, text in files.items():
            target = GOLDEN / example / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return
    expected = {p.relative_to(GOLDEN / example).as_posix(): p.read_text(encoding="utf-8")
                for p in root.rglob("*") if p.is_file()} if root.is_dir() else {}
    problems = []
    for rel in sorted(set(files) | set(expected)):
        if files.get(rel) != expected.get(rel):
            diff = difflib.unified_diff((expected.get(rel) or "").splitlines(), (files.get(rel) or "").splitlines(),
                                        f"golden/{example}/{rel}", f"generated/{rel}", lineterm="", n=2)
            problems.append("\n".join(list(diff)[:40]))
    assert not problems, "\n\n".join(problems) + "\n\nupdate with: pytest tests/test_golden.py --update-golden"


@pytest.mark.parametrize("example", EXAMPLES)
def test_compile_is_deterministic(example: str) -> None:
    from infracc.compiler.pipeline import analyze, emit

    second = analyze(ROOT / "examples" / example / "stack.yaml")
    emit(second)
    assert second.files == compiled(example).files
