"""CDK for Terraform synthesis through CDK Terrain (`cdktn`, the community continuation of the
archived `cdktf`, same model and API): its core (App, TerraformStack, S3Backend, TerraformVariable,
TerraformOutput) plus the project's own blocks (see `model.Block`), merged into each stack in one call.

Adding every block through its own jsii construct costs ~3 ms per resource across the Node
bridge (about 2 s for an example); the blocks are plain data, so each stack takes them as one
override and compile stays fast. Synthesis runs in a temporary directory that is removed; the
result is read back and stripped of CDKTF's own `//` metadata (paths, versions), keeping only
checkov suppressions.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from infracc.backends.terraform.model import Document

SILENCE = {"JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1", "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
           "JSII_SILENCE_WARNING_KNOWN_BROKEN_NODE_VERSION": "1",
           "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": ",".join(str(v) for v in range(14, 40))}


def node_available() -> bool:
    return shutil.which("node") is not None


def synthesize(stacks: dict[str, tuple[dict[str, Any], Document]]) -> dict[str, dict[str, Any]]:
    """``{env: (terraform settings, document)}`` → ``{env: Terraform JSON}``."""
    for key, value in SILENCE.items():
        os.environ.setdefault(key, value)
    import cdktn as cdktf  # the archived `cdktf` package's API, maintained (issue #15)

    outdir = tempfile.mkdtemp(prefix="infracc-cdktn-")
    try:
        app = cdktf.App(outdir=outdir, skip_validation=True)
        for env, (settings, doc) in stacks.items():
            _stack(cdktf, app, env, settings, doc)
        app.synth()
        return {env: _read(Path(outdir) / "stacks" / env / "cdk.tf.json") for env in stacks}
    finally:
        shutil.rmtree(outdir, ignore_errors=True)


def _stack(cdktf: Any, app: Any, env: str, settings: dict[str, Any], doc: Document) -> None:
    stack = cdktf.TerraformStack(app, env)
    backend = settings["backend"]
    cdktf.S3Backend(stack, bucket=backend["bucket"], key=backend["key"], region=backend["region"], encrypt=True)
    stack.add_override("terraform.backend.s3.use_lockfile", True)
    stack.add_override("terraform.required_providers", settings["required_providers"])
    stack.add_override("provider", settings["provider"])
    cdktf.TerraformVariable(stack, "image_tag", type="string",
                            description="tag of the images and function packages built by CI (set per release)")
    for name, (type_, default, description) in sorted(doc.variables.items()):
        cdktf.TerraformVariable(stack, name, type=type_, default=default, description=description)
    for kind in ("resource", "data"):
        tree = doc.tree(kind)
        if tree:
            stack.add_override(kind, tree)
    if doc.locals:
        stack.add_override("locals", dict(sorted(doc.locals.items())))
    for name, (value, description, sensitive) in sorted(doc.outputs.items()):
        cdktf.TerraformOutput(stack, name, value=value, description=description, sensitive=sensitive or None)


def _read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    data.pop("//", None)
    for section in ("resource", "data"):
        for blocks in data.get(section, {}).values():
            for attrs in blocks.values():
                meta = attrs.get("//")
                if isinstance(meta, dict):
                    meta.pop("metadata", None)
                    if not meta:
                        del attrs["//"]
    for block in data.get("output", {}).values():
        block.pop("//", None)
    return data
