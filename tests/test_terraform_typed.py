"""Typed-bindings oracle: every emitted block is rebuilt through `cdktn-provider-aws` (CDK Terrain's
prebuilt bindings of hashicorp/aws 6.x).

Each resource and data source of every example's `cdk.tf.json` is passed to the constructor of
its typed class, nested blocks through their struct classes, so an attribute the AWS provider
does not have, or a value of the wrong shape, raises. Slow (the bindings take ~15 s to import),
so everything is checked in one test. Only the test suite imports the bindings.
"""
from __future__ import annotations

import importlib
import inspect
import json
import os
import typing

from conftest import EXAMPLES, output_files

# Terraform meta-arguments, not provider attributes.
META = {"//", "depends_on", "lifecycle", "provider", "for_each", "count"}


def _modules_classes(annotation: object) -> list[type]:
    found: list[type] = []
    for arg in typing.get_args(annotation) or (annotation,):
        if inspect.isclass(arg) and arg.__module__.startswith("cdktn_provider_aws"):
            found.append(arg)
        elif typing.get_args(arg):
            found += [c for c in _modules_classes(arg) if c not in found]
    return found


def _is_list(annotation: object) -> bool:
    return any(t in str(annotation) for t in ("typing.Sequence", "typing.List"))


class Rebuilder:
    def __init__(self) -> None:
        os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
        os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", ",".join(map(str, range(14, 40))))
        import cdktn

        self.cdk = cdktn
        self.stack = cdktn.TerraformStack(cdktn.App(skip_validation=True), "typed")
        self.errors: list[str] = []
        self.count = 0

    def value(self, value: object, annotation: object, where: str) -> object:
        if isinstance(value, str) and value.startswith("${"):  # a reference: typed by token
            text = str(annotation)
            if _is_list(annotation) and "str" not in text.split("Sequence")[0]:
                return self.cdk.Token.as_list(value)
            if ("float" in text or "int" in text) and "str" not in text:
                return self.cdk.Token.as_number(value)
            return value
        structs = _modules_classes(annotation)
        if isinstance(value, dict) and structs:
            return [self.struct(structs[0], value, where)] if _is_list(annotation) else self.struct(structs[0], value, where)
        if isinstance(value, list) and value and isinstance(value[0], dict) and structs:
            return [self.struct(structs[0], v, where) for v in value]
        return value

    def kwargs(self, cls: type, attrs: dict, where: str, top: bool = False) -> dict:
        hints = typing.get_type_hints(cls.__init__)
        out = {}
        for key, value in attrs.items():
            if top and key in META:
                continue
            if key not in hints:
                self.errors.append(f"{where}: unknown attribute `{key}`")
                continue
            out[key] = self.value(value, hints[key], f"{where}.{key}")
        return out

    def struct(self, cls: type, attrs: dict, where: str) -> object:
        return cls(**self.kwargs(cls, attrs, where))

    def block(self, section: str, kind: str, name: str, attrs: dict) -> None:
        module = kind[4:] if section == "resource" else f"data_{kind}"
        base = "".join(p.capitalize() for p in kind[4:].split("_"))
        base = base if section == "resource" else f"DataAws{base}"
        try:
            mod = importlib.import_module(f"cdktn_provider_aws.{module}")
        except ImportError:
            self.errors.append(f"{section}.{kind}: no such type in the AWS provider")
            return
        cls = getattr(mod, base, None) or getattr(mod, f"{base}A")
        self.count += 1
        try:
            cls(self.stack, f"{kind}-{name}-{self.count}", **self.kwargs(cls, attrs, f"{kind}.{name}", top=True))
        except Exception as exc:  # noqa: BLE001 - jsii raises assorted types for bad input
            self.errors.append(f"{kind}.{name}: {type(exc).__name__}: {str(exc)[:300]}")


def test_every_block_rebuilds_through_the_typed_bindings() -> None:
    rebuilder = Rebuilder()
    for example in EXAMPLES:
        for path, text in output_files(example, "terraform").items():
            if not path.endswith(".json"):
                continue
            doc = json.loads(text)
            for section in ("resource", "data"):
                for kind, named in doc.get(section, {}).items():
                    for name, attrs in named.items():
                        rebuilder.block(section, kind, name, attrs)
    assert rebuilder.count > 1000
    assert not rebuilder.errors, "\n".join(sorted(set(rebuilder.errors))[:40])


def test_synthesis_runs_on_cdk_terrain_not_the_archived_cdktf(tmp_path) -> None:
    """The runtime imports `cdktn` (CDK Terrain); `cdktf` (archived 2025-12-10) is never loaded."""
    import subprocess
    import sys

    from conftest import ROOT

    probe = ("import sys\n"
             "from infracc.compiler.cli import run\n"
             f"sys.argv = ['infracc', 'compile', {str(ROOT / 'examples' / 'serverless' / 'stack.yaml')!r}, "
             f"'-o', {str(tmp_path / 'out')!r}, '--target', 'terraform']\n"
             "try:\n    run()\nexcept SystemExit as exc:\n    code = exc.code\n"
             "print('LOADED', 'cdktn' in sys.modules, 'cdktf' in sys.modules, code)\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert "LOADED True False 0" in proc.stdout, proc.stdout + proc.stderr
