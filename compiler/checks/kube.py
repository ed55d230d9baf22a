"""Kubernetes manifests: kubeconform when on PATH (its JSON output), else kubernetes-validate."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from infracc.compiler.checks import Finding, Tool, ToolFailed, executable

INSTALL = ("kubeconform: download a release from https://github.com/yannh/kubeconform/releases "
           "and put it on PATH; or `pip install kubernetes-validate`")


def manifests(out: Path) -> list[Path]:
    return sorted(p for p in (out / "kubernetes").rglob("*.y*ml") if p.suffix in (".yaml", ".yml"))


def tool() -> Tool:
    if executable("kubeconform"):
        return Tool("kubeconform", INSTALL, lambda: True, manifests, _kubeconform)
    return Tool("kubernetes-validate", INSTALL, _has_kubernetes_validate, manifests, _kubernetes_validate)


def _kubeconform(out: Path, files: list[Path]) -> tuple[int, list[Finding]]:
    cmd = [executable("kubeconform") or "kubeconform", "-strict", "-ignore-missing-schemas", "-summary", "-output", "json", *map(str, files)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise ToolFailed(f"kubeconform: unreadable output: {proc.stderr.strip() or proc.stdout[:200]}") from exc
    findings = [Finding("kubeconform", r.get("status", "invalid").removeprefix("status").lower(), "error",
                        f"{r.get('kind', '?')}/{r.get('name', '?')}: {r.get('msg', '')}",
                        _rel(out, Path(r.get("filename", ""))))
                for r in data.get("resources", []) if r.get("status") in ("statusInvalid", "statusError")]
    return int(data.get("summary", {}).get("valid", 0)) + len(findings), findings


def _has_kubernetes_validate() -> bool:
    try:
        import kubernetes_validate  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        return False
    return True


def _kubernetes_validate(out: Path, files: list[Path]) -> tuple[int, list[Finding]]:
    import kubernetes_validate as kv
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    version, checked, findings = kv.latest_version(), 0, []
    for path in files:
        rel = _rel(out, path)
        try:
            docs = [d for d in YAML(typ="safe").load_all(path.read_text(encoding="utf-8")) if d]
        except YAMLError as exc:
            findings.append(Finding("kubernetes-validate", "yaml", "error", f"not valid YAML: {exc}", rel))
            continue
        for doc in docs:
            checked += 1
            try:
                kv.validate(doc, version, strict=True)
            except kv.SchemaNotFoundError:
                checked -= 1    # a custom resource (CRD) without a bundled schema: not validated
            except (kv.ValidationError, kv.InvalidSchemaError) as exc:
                what = f"{doc.get('kind', '?')}/{(doc.get('metadata') or {}).get('name', '?')}"
                findings.append(Finding("kubernetes-validate", type(exc).__name__, "error",
                                        f"{what}: {_message(exc)}", rel))
    return checked, findings


def _message(exc: Exception) -> str:
    inner = getattr(exc, "caught_exc", None)
    if inner is not None and getattr(inner, "path", None) is not None:
        where = ".".join(str(p) for p in inner.path)
        return f"{where or '(root)'}: {inner.message}"
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def _rel(out: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(out.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
