"""CDK for Terraform synthesis through CDK Terrain (`cdktn`, the community continuation of the
archived `cdktf`, same model and API): its core (App, TerraformStack, S3Backend) plus the
stack's settings and the project's own blocks (see `model.Block`), merged into each stack's JSON.

Adding every block through its own jsii construct costs ~3 ms per resource across the Node
bridge (about 2 s for an example). The blocks are plain data, which CDKTF would only merge
into the stack as an override; passed through Node that merge grew faster than the stack (200
services: 8.9 s of synthesis), so CDKTF synthesizes the stack's own constructs and settings and
the blocks are merged into its JSON here exactly as the override did (`_merge`; the output is
byte-identical on the examples, generated stacks and random valid specs). Synthesis runs in a
temporary directory that is removed; the result is read back and stripped of CDKTF's own `//`
metadata (paths, versions), keeping only checkov suppressions.

Cold-start cost (issue #14): importing cdktn starts its Node process and loads the assemblies
(~0.5 s, nearly all of it in Node, not Python), so `compile` calls `cdk_warm.prewarm()` first thing
and that runs on the other core meanwhile. The settings (S3 lockfile, required providers,
provider, variables, outputs) are plain data too: they were one `add_override` each (was ~20
before that: one construct per output) and are now merged here like the blocks (`_settings`).
What crosses the bridge is the App, one TerraformStack and one S3Backend per stack and one
`synth`: 10 round trips for a three-environment stack, 2 of them loading the assemblies during
the prewarm (was 25; output byte-identical on the examples and a 50-service generated stack).
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from infracc.backends.cdk_warm import cdk, node_available
from infracc.backends.terraform.model import Document

# Node's start and the prewarm live in `backends.cdk_warm` (started by `infracc compile` first);
# `node_available` is looked up here by the backend (and replaced by tests).
__all__ = ["node_available", "synthesize"]


def synthesize(stacks: dict[str, tuple[dict[str, Any], Document]]) -> dict[str, dict[str, Any]]:
    """``{env: (terraform settings, document)}`` → ``{env: Terraform JSON}``."""
    cdktf = cdk()

    outdir = tempfile.mkdtemp(prefix="infracc-cdktn-")
    try:
        app = cdktf.App(outdir=outdir, skip_validation=True)
        for env, (settings, _) in stacks.items():
            _stack(cdktf, app, env, settings)
        app.synth()
        return {env: _with_blocks(_read(Path(outdir) / "stacks" / env / "cdk.tf.json"), settings, doc)
                for env, (settings, doc) in stacks.items()}
    finally:
        shutil.rmtree(outdir, ignore_errors=True)


def _stack(cdktf: Any, app: Any, env: str, settings: dict[str, Any]) -> None:
    """What CDKTF constructs: the stack and its S3 backend (two round trips to Node)."""
    stack = cdktf.TerraformStack(app, env)
    backend = settings["backend"]
    cdktf.S3Backend(stack, bucket=backend["bucket"], key=backend["key"], region=backend["region"], encrypt=True)


def _settings(settings: dict[str, Any], doc: Document) -> dict[str, Any]:
    """The stack's settings as the overrides CDKTF was given for them (`add_override` of
    `terraform.backend.s3.use_lockfile`, `terraform.required_providers`, `provider`, `variable`
    and `output`, one round trip each per stack): plain data, merged like the blocks."""
    # What TerraformVariable/TerraformOutput constructs would render (an unset field is omitted).
    variables: dict[str, dict[str, Any]] = {"image_tag": {
        "type": "string", "description": "tag of the images and function packages built by CI (set per release)"}}
    for name, (type_, default, description) in sorted(doc.variables.items()):
        variables[name] = {"type": type_, "description": description,
                           **({"default": default} if default is not None else {})}
    out: dict[str, Any] = {"terraform": {"backend": {"s3": {"use_lockfile": True}},
                                         "required_providers": settings["required_providers"]},
                           "provider": settings["provider"], "variable": variables}
    if doc.outputs:
        out["output"] = {
            name: {"value": value, "description": description, **({"sensitive": True} if sensitive else {})}
            for name, (value, description, sensitive) in sorted(doc.outputs.items())}
    return out


def _blocks(doc: Document) -> dict[str, Any]:
    """The project's own blocks: resources, data sources, locals (plain data, see the module doc)."""
    out: dict[str, Any] = {kind: tree for kind in ("resource", "data") if (tree := doc.tree(kind))}
    if doc.locals:
        out["locals"] = dict(sorted(doc.locals.items()))
    return out


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    """What an `add_override` at each top-level key does: objects merge key by key, anything
    else replaces."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _with_blocks(data: dict[str, Any], settings: dict[str, Any], doc: Document) -> dict[str, Any]:
    _merge(data, _settings(settings, doc))
    _merge(data, _blocks(doc))
    return data


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
