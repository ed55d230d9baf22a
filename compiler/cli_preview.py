"""`infracc preview STACK --number N -o DIR`: generate the preview copy of a pull request.

The generated CI runs it (`ci/.github/workflows/<stack>-preview.yaml`): the copy's Terraform and
Dockerfiles, its stack (`stack.yaml`) and `preview.md` (its monthly estimate, for the pull-request
comment). Exit 0 ok, 1 the spec (or the copy) has errors, 2 usage error.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path, PurePosixPath

import click

from infracc.compiler import render
from infracc.compiler.cli_types import say
from infracc.compiler.preview import PreviewError, copy_spec


@click.command(name="preview", context_settings={"help_option_names": ["-h", "--help"]}, epilog="""\b
Examples:
  infracc preview stack.yaml --number 42 -o out-preview   # environment pr-42
  infracc preview stack.yaml --number 42 --env preview""")
@click.argument("stack", type=click.Path(exists=True, dir_okay=False))
@click.option("--number", type=int, required=True, help="Pull request number: the copy is environment `pr-<number>`.")
@click.option("--env", "template", help="The preview template (default: the one environment with `preview: true`).")
@click.option("-o", "--out", default="out-preview", show_default=True, type=click.Path(file_okay=False))
def preview(stack: str, number: int, template: str | None, out: str) -> None:
    """Generate the per-pull-request copy of the stack's preview environment: its Terraform and
    Dockerfiles, its stack.yaml and preview.md (the monthly estimate for the pull-request comment).
    The generated preview workflow runs it."""
    from infracc.compiler import cost_report, writer
    from infracc.compiler.loader import load_file
    from infracc.compiler.pipeline import analyze, emit
    from infracc.compiler.version import VERSION

    loaded = load_file(stack)
    if loaded.data is None:
        click.echo(render.as_text(loaded.diagnostics, loaded.source), err=True, nl=False)
        sys.exit(1)
    try:
        data, _ = copy_spec(loaded.data, number, template)
    except PreviewError as exc:
        raise click.UsageError(str(exc)) from exc
    text = json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n"  # JSON is YAML
    result = analyze(text=text, name=f"{stack} (preview pr-{number})", source_dir=str(Path(stack).resolve().parent))
    if result.ok:
        assert result.ir is not None
        emit(result, [t for t in ("terraform", "docker") if t in result.ir.targets])
    if not result.ok or result.ir is None:
        click.echo(render.as_text([d for d in result.diagnostics if d.is_error], result.source), err=True, nl=False)
        sys.exit(1)
    files = dict(result.files)
    files[PurePosixPath("stack.yaml")] = text
    files[PurePosixPath("preview.md")] = cost_report.render(result.ir, list(result.ir.envs.values()), "markdown")
    writer.write(Path(out), writer.with_lock(files, VERSION))
    say(f"wrote the preview copy pr-{number} to {out}/ ({len(files)} files)")
