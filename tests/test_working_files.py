"""Terraform's working files in out/ survive a compile and are not drift for `--check` (issue #15).

`terraform init` in out/terraform/<env> (as the runbook says) writes `.terraform/` (provider
cache, often symlinks into a plugin cache) and `.terraform.lock.hcl`, which is meant to be
committed; `plan -out=tfplan` a plan. Before, `--check` called them unexpected and the next
compile deleted them.
"""
from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from click.testing import CliRunner

from infracc.compiler import writer
from infracc.compiler.cli import main

ROOT = Path(__file__).resolve().parent.parent
SPEC = str(ROOT / "examples" / "serverless" / "stack.yaml")


def _compile(out: Path, *extra: str) -> int:
    return CliRunner().invoke(main, ["compile", SPEC, "-o", str(out), *extra]).exit_code


def _init_like_terraform(env_dir: Path, cache: Path) -> None:
    provider = env_dir / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp" / "aws" / "6.0.0"
    provider.parent.mkdir(parents=True)
    cache.mkdir(parents=True, exist_ok=True)
    os.symlink(cache, provider)  # TF_PLUGIN_CACHE_DIR makes this a symlink
    (env_dir / ".terraform" / "terraform.tfstate").write_text('{"backend": {}}\n')
    (env_dir / ".terraform.lock.hcl").write_text('provider "registry.terraform.io/hashicorp/aws" {}\n')
    (env_dir / "tfplan").write_bytes(b"PK\x03\x04 plan")


def test_compile_keeps_working_files_and_check_ignores_them(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _compile(out) == 0
    envs = sorted(p for p in (out / "terraform").iterdir() if p.is_dir())
    assert envs
    env_dir = envs[0]
    _init_like_terraform(env_dir, tmp_path / "plugin-cache")
    lock_inode = (env_dir / ".terraform.lock.hcl").stat().st_ino

    assert _compile(out, "--check") == 0  # working files are not drift
    assert _compile(out) == 0  # a recompile keeps them
    assert (env_dir / ".terraform.lock.hcl").read_text().startswith('provider "registry.terraform.io')
    assert (env_dir / ".terraform.lock.hcl").stat().st_ino == lock_inode  # hard link, nothing copied
    assert (env_dir / "tfplan").read_bytes() == b"PK\x03\x04 plan"
    assert (env_dir / ".terraform" / "terraform.tfstate").is_file()
    link = env_dir / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp" / "aws" / "6.0.0"
    assert link.is_symlink() and Path(os.readlink(link)) == tmp_path / "plugin-cache"
    assert _compile(out, "--check") == 0

    # anything else that is not generated is still drift
    (env_dir / "notes.txt").write_text("mine\n")
    assert _compile(out, "--check") == 1


def test_generated_files_win_over_working_file_names(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = {PurePosixPath("terraform/dev/main.tf.json"): "{}\n"}
    writer.write(out, writer.with_lock(files, "test"))
    (out / "terraform/dev/.terraform.lock.hcl").write_text("kept\n")
    generated = {**files, PurePosixPath("terraform/dev/tfplan"): "generated\n"}
    writer.write(out, writer.with_lock(generated, "test"))
    assert (out / "terraform/dev/tfplan").read_text() == "generated\n"
    assert (out / "terraform/dev/.terraform.lock.hcl").read_text() == "kept\n"
    assert writer.check(out, writer.with_lock(generated, "test")).clean
    assert writer.is_working_file(PurePosixPath("terraform/prod/.terraform/modules/modules.json"))
    assert not writer.is_working_file(PurePosixPath("terraform/prod/cdk.tf.json"))


def test_output_ignores_working_files_for_git(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _compile(out) == 0
    ignore = (out / ".gitignore").read_text()
    for pattern in (".terraform/", "tfplan", "*.tfplan", "terraform.tfstate"):
        assert pattern in ignore.splitlines()
    assert ".terraform.lock.hcl" not in ignore.splitlines()  # the lock file is committed
    assert ".gitignore" in (out / writer.LOCK_FILE).read_text()
    assert "commit it" in (out / "docs" / "README.md").read_text()
