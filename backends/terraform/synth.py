"""CDK for Terraform synthesis through CDK Terrain (`cdktn`, the community continuation of the
archived `cdktf`, same model and API): its core (App, TerraformStack, S3Backend, TerraformVariable,
TerraformOutput) plus the project's own blocks (see `model.Block`), merged into each stack's JSON.

Adding every block through its own jsii construct costs ~3 ms per resource across the Node
bridge (about 2 s for an example). The blocks are plain data, which CDKTF would only merge
into the stack as an override; passed through Node that merge grew faster than the stack (200
services: 8.9 s of synthesis), so CDKTF synthesizes the stack's own constructs and settings and
the blocks are merged into its JSON here exactly as the override did (`_merge`; the output is
byte-identical on the examples, generated stacks and random valid specs). Synthesis runs in a
temporary directory that is removed; the result is read back and stripped of CDKTF's own `//`
metadata (paths, versions), keeping only checkov suppressions.

Cold-start cost (issue #14): importing cdktn starts its Node process and loads the assemblies
(~0.5 s, nearly all of it in Node, not Python), so `compile` calls `prewarm()` before the passes
and that runs on the other core meanwhile. Variables and outputs are plain data too and go in
as one override each, so a stack costs a handful of round trips to Node (was ~20: one per
output), plus one `synth`.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

from infracc.backends.terraform.model import Document

SILENCE = {"JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1", "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
           "JSII_SILENCE_WARNING_KNOWN_BROKEN_NODE_VERSION": "1",
           "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": ",".join(str(v) for v in range(14, 40))}


def node_available() -> bool:
    return shutil.which("node") is not None


def _cdk() -> ModuleType:
    for key, value in SILENCE.items():
        os.environ.setdefault(key, value)
    import cdktn  # the archived `cdktf` package's API, maintained (issue #15)

    return cdktn


def _warm() -> None:
    try:
        _cdk()
    except BaseException:  # noqa: BLE001 - `synthesize` imports again and reports the real error
        return


_warming: list[threading.Thread] = []


def prewarm() -> None:
    """Start importing cdktn (and so its Node process) in the background; idempotent, and a
    no-op without Node. The import lock makes `synthesize` wait for it rather than start twice."""
    if _warming or not node_available():
        return
    thread = threading.Thread(target=_warm, name="infracc-cdktn-prewarm", daemon=True)
    _warming.append(thread)
    thread.start()


def settle() -> None:
    """Wait for a prewarm still under way (before exiting without synthesis: a daemon thread
    stopped mid-import at interpreter exit can leave jsii's Node process and files behind)."""
    for thread in _warming:
        thread.join()


def synthesize(stacks: dict[str, tuple[dict[str, Any], Document]]) -> dict[str, dict[str, Any]]:
    """``{env: (terraform settings, document)}`` → ``{env: Terraform JSON}``."""
    cdktf = _cdk()

    outdir = tempfile.mkdtemp(prefix="infracc-cdktn-")
    try:
        app = cdktf.App(outdir=outdir, skip_validation=True)
        for env, (settings, doc) in stacks.items():
            _stack(cdktf, app, env, settings, doc)
        app.synth()
        return {env: _with_blocks(_read(Path(outdir) / "stacks" / env / "cdk.tf.json"), doc)
                for env, (_, doc) in stacks.items()}
    finally:
        shutil.rmtree(outdir, ignore_errors=True)


def _stack(cdktf: Any, app: Any, env: str, settings: dict[str, Any], doc: Document) -> None:
    stack = cdktf.TerraformStack(app, env)
    backend = settings["backend"]
    cdktf.S3Backend(stack, bucket=backend["bucket"], key=backend["key"], region=backend["region"], encrypt=True)
    stack.add_override("terraform.backend.s3.use_lockfile", True)
    stack.add_override("terraform.required_providers", settings["required_providers"])
    stack.add_override("provider", settings["provider"])
    # What TerraformVariable/TerraformOutput constructs would render (an unset field is omitted).
    variables: dict[str, dict[str, Any]] = {"image_tag": {
        "type": "string", "description": "tag of the images and function packages built by CI (set per release)"}}
    for name, (type_, default, description) in sorted(doc.variables.items()):
        variables[name] = {"type": type_, "description": description,
                           **({"default": default} if default is not None else {})}
    stack.add_override("variable", variables)
    if doc.outputs:
        stack.add_override("output", {
            name: {"value": value, "description": description, **({"sensitive": True} if sensitive else {})}
            for name, (value, description, sensitive) in sorted(doc.outputs.items())})


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


def _with_blocks(data: dict[str, Any], doc: Document) -> dict[str, Any]:
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
