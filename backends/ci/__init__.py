"""CI backend: a GitHub Actions workflow per stack, its ECS helper, and the OIDC Terraform.

Files (under `ci/`): `.github/workflows/<stack>.yaml` (pull request: validate, `compile --check`,
checkov + hadolint, `terraform plan` per environment as an artifact; push to main: build and
push images to ECR, deploy environments in promotion order behind GitHub environments, with
`migrate` before rollout and a rollback job), `scripts/ecs.sh` (ECS rollout helper, `ecs`
platform only) and `terraform/github-oidc.tf.json` (OIDC provider, deploy/plan/build roles).
Every name comes from the IR and `infracc.compiler.naming`; every action is pinned by SHA
from `library/actions.json`.
"""
from __future__ import annotations

from pathlib import PurePosixPath

from infracc.backends.ci import context as cx
from infracc.backends.ci import oidc, preview, workflow
from infracc.backends.serialize import dump_json
from infracc.backends.templating import render
from infracc.compiler.diagnostics import Diagnostic, error
from infracc.compiler.ir import StackIR
from infracc.compiler.passes.targets import preview_refused


def emit(ir: StackIR) -> tuple[dict[PurePosixPath, str], list[Diagnostic]]:
    files = {
        PurePosixPath(f"ci/.github/workflows/{ir.name}.yaml"): workflow.render(ir),
        PurePosixPath("ci/terraform/github-oidc.tf.json"): dump_json(oidc.document(ir)),
    }
    if ir.platform == "ecs" and cx.rollout_services(ir):
        files[PurePosixPath("ci/scripts/ecs.sh")] = render("ci/ecs.sh.j2")
    diags: list[Diagnostic] = []
    template = preview.template(ir)
    if template is not None:
        why = preview.supported(ir)
        if why is None:
            files[PurePosixPath(f"ci/.github/workflows/{ir.name}-preview.yaml")] = preview.render(ir)
        else:
            diags.append(preview_refused(ir) or error("IC-CI-001", why, template.settings.origin))
    return files, diags
