"""Terraform of stacks as users write them, under the real-Terraform oracles (issue #12: "every
example and every stack a user writes from the README"): the README's stack, the smallest spec
the schema advertises, each `infracc init --pattern` draft, and generated valid specs (fixed seed,
both platforms, every target). Each goes through tf_semantics (the 6.x schema, all directories,
0 findings) and, for its last environment and the CI stack, `terraform init` against the local
mirror and `terraform validate` (the last environment also `terraform test` with the mock
provider, plan + apply), with the same rewrite table as tests/test_terraform_real.py. The examples are covered there.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
import tf_real
from conftest import ROOT
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from specgen import Generated, stacks
from test_terraform_real import toolchain, validate_and_mock, write_output  # noqa: F401 (fixture)

from infracc.compiler import init_spec
from infracc.compiler.pipeline import analyze, emit

HELLO = """\
infracc: 1
name: hello
services:
  app: {image: nginx:1.27, port: 8080, public: true}
"""


def _readme_stack() -> str:
    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)
    full = [b for b in blocks if b.startswith("infracc: 1")]
    assert full, "the README shows no complete stack.yaml"
    return full[0]


def _user_stacks() -> dict[str, str]:
    out = {"readme": _readme_stack(), "hello": HELLO}
    for pattern in init_spec.patterns():
        spec = init_spec.draft(init_spec.Answers(pattern, f"my-{pattern}"[:24]))
        out[f"init-{pattern}"] = init_spec.render(spec, pattern)
    return out


STACKS = _user_stacks()


def _compile(stack: Path, out: Path) -> str:
    """Terraform and CI output of `stack` written under `out`; returns the last environment."""
    result = analyze(stack)
    assert result.ok and result.ir is not None, [f"{d.code} {d.message}" for d in result.diagnostics if d.is_error]
    emit(result, ["terraform", "ci"])
    write_output(result.files, out)
    return result.ir.env_names()[-1]


def _check(tc: tf_real.Toolchain, out: Path, last: str, work: Path) -> list[str]:
    problems: list[str] = []
    files = sorted(out.rglob("*.tf.json"))
    assert files, f"no Terraform under {out}"
    code, findings, summary = tf_real.semantics(files)
    if code or findings:
        problems.append("tf_semantics:\n" + "\n".join(findings or [summary]))
    # The last environment in promotion order has the most (HA, per-AZ NAT, protection): its
    # directory and the CI stack run under terraform; all of them went through tf_semantics.
    for source, plan_apply in ((out / "terraform" / last, True), (out / "ci" / "terraform", False)):
        # the CI stack's plan/apply is the examples' (tests/test_terraform_real.py)
        problems += validate_and_mock(tc, source, work / source.relative_to(out), plan_apply)
    return problems


@pytest.mark.parametrize("name", sorted(STACKS))
def test_user_stack_terraform_passes_the_real_checks(toolchain, name: str, tmp_path: Path) -> None:  # noqa: F811
    (tmp_path / "stack.yaml").write_text(STACKS[name], encoding="utf-8")
    last = _compile(tmp_path / "stack.yaml", tmp_path / "out")
    problems = _check(toolchain, tmp_path / "out", last, tmp_path / "tf")
    assert not problems, f"{name}:\n" + "\n\n".join(problems)


@pytest.mark.parametrize("platform", ["ecs", "eks"])
@settings(max_examples=1, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_generated_stack_terraform_passes_the_real_checks(toolchain, platform: str, data: st.DataObject) -> None:  # noqa: F811
    gen: Generated = data.draw(stacks(3, 7, platform=platform, targets="all"))
    with tempfile.TemporaryDirectory(prefix="infracc-user-tf-") as tmp:
        root = Path(tmp)
        last = _compile(gen.write(root / "src"), root / "out")
        problems = _check(toolchain, root / "out", last, root / "tf")
        assert not problems, "\n\n".join(problems) + "\n--- stack.yaml\n" + gen.yaml()
