"""Spec models → IR: one resolved graph per environment.

For each environment: resolve environment defaults, merge each component's `overrides`
over its base and re-validate the result, parse `uses` entries and `env` placeholders,
inject connection variables, and connect the graph. Unresolvable references stay on the
component (as `UseRef`/`OutputRef`) for the validate pass to report with their position.
"""
from __future__ import annotations

import copy
import ipaddress
import re
from typing import Any

from pydantic import ValidationError

from infracc.compiler.diagnostics import Diagnostic, Path, error
from infracc.compiler.ir import (
    DEFAULT_MODE,
    INJECTED,
    OUTPUTS,
    Component,
    Connection,
    EnvGraph,
    EnvIR,
    EnvSettings,
    EnvVar,
    MountRef,
    OutputRef,
    StackIR,
    UseRef,
)
from infracc.schema.components import KINDS
from infracc.schema.models import TARGETS, Strict
from infracc.schema.stack import Stack

DEFAULT_SIZE = {"dev": "small", "staging": "medium", "prod": "large"}
# Targets follow the platform when `targets` is not set (issue #15): Kubernetes manifests and the
# Helm chart describe what runs on an EKS cluster; an ecs stack has none (its services are ECS
# services in the Terraform), so it gets them only when `targets` lists them.
CLUSTER_TARGETS = ("kubernetes", "helm")


def default_targets(platform: str) -> list[str]:
    """The backends `compile` runs for a stack without `targets`."""
    return [t for t in TARGETS if platform == "eks" or t not in CLUSTER_TARGETS]
_PLACEHOLDER = re.compile(r"\$\$\{|\$\{([^}]*)\}?")
_REF = re.compile(r"^([a-z][a-z0-9-]{0,30})\.([a-z_]+)$")


def build(stack: Stack, data: dict[str, Any], file: str, source_dir: str) -> tuple[StackIR, list[Diagnostic]]:
    diags: list[Diagnostic] = []
    kinds_by_name = {name: KINDS[section][0]
                     for section in KINDS for name in (data.get(section) or {})}
    # A shared secret is injected under one name (its `variable`, else its name in upper case).
    secret_env = {name: spec.variable or name.upper().replace("-", "_") for name, spec in stack.secrets.items()}
    settings = _env_settings(stack)
    envs: dict[str, EnvIR] = {}
    for env in settings:
        graph = EnvGraph()
        for section, (kind, model) in KINDS.items():
            for name, base in getattr(stack, section).items():
                raw = (data.get(section) or {}).get(name) or {}
                spec = _effective(model, base, raw, env.name, (section, name), diags)
                if spec is None:
                    continue
                override = ((raw.get("overrides") or {}).get(env.name)) or {}
                comp = Component(id=f"{kind}.{name}", kind=kind, name=name, section=section,
                                 spec=spec, origin=(section, name),
                                 override_origin=(section, name, "overrides", env.name) if override else None,
                                 overridden=frozenset(override))
                comp.uses = _uses(spec, comp.origin, raw, env.name)
                comp.mounts = _mounts(spec, comp.origin, raw, env.name)
                comp.env = _env_vars(comp, kinds_by_name, raw, env.name, diags, secret_env)
                graph.add_component(comp)
        _connect(graph, kinds_by_name)
        envs[env.name] = EnvIR(settings=env, graph=graph)
    ir = StackIR(
        name=stack.name, description=stack.description, owner=stack.owner, region=stack.region,
        platform=stack.platform, compliance=list(stack.compliance), domain=stack.domain,
        tags=dict(stack.tags), tracing=stack.tracing, targets=list(stack.targets or default_targets(stack.platform)), source_dir=source_dir,
        file=file, envs=envs)
    return ir, _dedupe(diags)


def _env_settings(stack: Stack) -> list[EnvSettings]:
    # Preview templates are copied per pull request (`infracc preview`); promotion is the other environments.
    promoted = [n for n, e in stack.environments.items() if not e.preview]
    used = [ipaddress.ip_network(e.cidr, strict=False) for e in stack.environments.values()
            if e.cidr and _is_cidr(e.cidr)]
    out = []
    for index, (name, env) in enumerate(stack.environments.items()):
        size = env.size or ("small" if env.preview else DEFAULT_SIZE.get(name, "small"))
        large = size == "large" and not env.preview
        last = bool(promoted) and name == promoted[-1]
        cidr = env.cidr or _derive_cidr(index, used)
        out.append(EnvSettings(
            name=name, index=index, size=size,
            high_availability=env.high_availability if env.high_availability is not None else large,
            region=env.region or stack.region, cidr=cidr,
            approval=env.approval if env.approval is not None else last,
            spot=env.spot or env.preview, account_id=env.account_id, preview=env.preview,
            deletion_protection=env.deletion_protection if env.deletion_protection is not None else large,
            is_last=last, origin=("environments", name), allow=list(env.allow),
            off_hours=env.off_hours, nat_gateway=env.nat_gateway, commitments=env.commitments,
            budget=env.budget, aws_config=env.aws_config))
    return out


def _is_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
        return True
    except ValueError:
        return False


def _derive_cidr(index: int, used: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> str:
    """Distinct /16 per environment: 10.10.0.0/16, 10.11.0.0/16, … avoiding declared ranges."""
    second = 10 + index
    while True:
        candidate = ipaddress.ip_network(f"10.{second}.0.0/16")
        if not any(candidate.overlaps(u) for u in used):
            used.append(candidate)
            return str(candidate)
        second += 1


def _effective(model: type[Strict], base: Strict, raw: dict[str, Any], env: str, origin: Path,
               diags: list[Diagnostic]) -> Strict | None:
    override = (raw.get("overrides") or {}).get(env)
    if not override:
        return base
    merged = _merge({k: v for k, v in raw.items() if k != "overrides"}, override)
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        from infracc.compiler.schema_errors import diagnostics_from  # errors only

        for diag in diagnostics_from(exc, merged, model):
            rel = diag.origin
            where = (*origin, "overrides", env, *rel) if rel and rel[0] in override else (*origin, *rel)
            diags.append(error(diag.code, f"{diag.message} (in environment `{env}`)", where, diag.hint))
        return None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _uses(spec: Strict, origin: Path, raw: dict[str, Any], env: str) -> list[UseRef]:
    entries = getattr(spec, "uses", None) or []
    override = (raw.get("overrides") or {}).get(env) or {}
    base = (*origin, "overrides", env) if "uses" in override else origin
    refs = []
    for i, entry in enumerate(entries):
        name, _, mode = entry.partition(":")
        refs.append(UseRef(name=name.strip(), mode=mode.strip() or None, origin=(*base, "uses", i)))
    return refs


def _mounts(spec: Strict, origin: Path, raw: dict[str, Any], env: str) -> list[MountRef]:
    """`fs:/path` is a read-write mount, as `uses` writes `name:mode`; objects as written."""
    override = (raw.get("overrides") or {}).get(env) or {}
    base = (*origin, "overrides", env) if "mounts" in override else origin
    out = []
    for i, entry in enumerate(getattr(spec, "mounts", None) or []):
        if isinstance(entry, str):
            name, _, path = entry.partition(":")
            out.append(MountRef(filesystem=name, path=path, read_only=False, origin=(*base, "mounts", i)))
        else:
            out.append(MountRef(filesystem=entry.filesystem, path=entry.path, read_only=entry.read_only,
                                origin=(*base, "mounts", i)))
    return out


def _connect(graph: EnvGraph, kinds_by_name: dict[str, str]) -> None:
    for comp in graph.components():
        for mount in comp.mounts:  # a mount edge: NFS, the access point, mount/write permissions
            target = f"filesystem.{mount.filesystem}"
            if (comp.kind not in ("service", "job") or graph.get(target) is None
                    or target in {c.target for c in graph.uses(comp.id)}):
                continue
            graph.connect(Connection(source=comp.id, target=target, mode=mount.mode, origin=mount.origin))
    for comp in graph.components():
        for ref in comp.uses:
            kind = kinds_by_name.get(ref.name)
            if kind is None or kind not in OUTPUTS or ref.name == comp.name:
                continue
            target = f"{kind}.{ref.name}"
            if graph.get(target) is None or target in {c.target for c in graph.uses(comp.id)}:
                continue
            graph.connect(Connection(source=comp.id, target=target,
                                     mode=ref.mode or DEFAULT_MODE.get(kind), origin=ref.origin))


def _env_vars(comp: Component, kinds: dict[str, str], raw: dict[str, Any], env: str,
              diags: list[Diagnostic], secret_env: dict[str, str] | None = None) -> list[EnvVar]:
    spec = comp.spec
    if not hasattr(spec, "env"):
        return []
    override = (raw.get("overrides") or {}).get(env) or {}
    out: dict[str, EnvVar] = {}
    for ref in comp.uses:
        kind = kinds.get(ref.name)
        if kind is None:  # an unknown name: validation reports it
            continue
        for output in INJECTED.get(kind, ()):
            name = f"{ref.name.upper().replace('-', '_')}_{output.upper()}"
            if kind == "secret":  # the value itself, under the secret's variable name
                name = (secret_env or {}).get(ref.name) or ref.name.upper().replace("-", "_")
            out[name] = EnvVar(name=name, segments=[OutputRef(component=ref.name, output=output)],
                               secret=OUTPUTS[kind][output], source="injected", origin=ref.origin)
    for key, value in spec.env.items():
        base = (*comp.origin, "overrides", env) if key in (override.get("env") or {}) else comp.origin
        origin = (*base, "env", key)
        segments, problem = parse_value(value)
        if problem:
            diags.append(error("IC-PH-001", f"env `{key}`: {problem}", origin,
                               "write `${component.output}`, or `$${` for a literal `${`"))
            continue
        refs = [s for s in segments if isinstance(s, OutputRef)]
        secret = any(OUTPUTS.get(kinds.get(r.component, ""), {}).get(r.output, False) for r in refs)
        out[key] = EnvVar(name=key, segments=segments, secret=secret,
                          source="placeholder" if refs else "literal", origin=origin)
    for i, key in enumerate(spec.secrets):
        out[key] = EnvVar(name=key, segments=[], secret=True, source="secret",
                          origin=(*comp.origin, "secrets", i))
    return [out[k] for k in sorted(out)]


def parse_value(value: str) -> tuple[list[str | OutputRef], str | None]:
    """Split an env value into literal text and output references.

    >>> parse_value("postgres://${db.host}:5432 $${x}")[0]
    ['postgres://', OutputRef(component='db', output='host'), ':5432 ${x}']
    """
    segments: list[str | OutputRef] = []
    text = ""
    pos = 0
    for match in _PLACEHOLDER.finditer(value):
        text += value[pos:match.start()]
        pos = match.end()
        if match[0] == "$${":
            text += "${"
            continue
        if not match[0].endswith("}"):
            return [], f"unterminated placeholder `{match[0]}`"
        ref = _REF.match(match[1].strip())
        if not ref:
            return [], f"`{match[0]}` is not of the form `${{component.output}}`"
        if text:
            segments.append(text)
            text = ""
        segments.append(OutputRef(component=ref[1], output=ref[2]))
    text += value[pos:]
    if text:
        segments.append(text)
    return segments, None


def _dedupe(diags: list[Diagnostic]) -> list[Diagnostic]:
    return list(dict.fromkeys(diags))

