"""Checks of `mounts:` and `filesystems:` for the validate pass (IC-FS-001..007).

Each points at the entry it is about: a mount's position in `mounts` (base or override), a
file system's name or its `one_zone`. Read-only, like the rest of validation.
"""
from __future__ import annotations

import posixpath
from pathlib import PurePosixPath

from infracc.compiler.diagnostics import Diagnostic, Path, did_you_mean, error, warning
from infracc.compiler.ir import Component, EnvIR, MountRef, StackIR
from infracc.compiler.passes.resolve import hardening

# Kernel and device filesystems never get a mount over them, as for `writable` (IC-SEC-005).
KERNEL_PATHS = ("/proc", "/sys", "/dev")
ALWAYS_WRITABLE = "/tmp"
STATEFUL_DATA = "/data"  # where a stateful service's volume is mounted (backends/kubernetes/pods.py)


def mount_problems(env: EnvIR, comp: Component) -> list[Diagnostic]:
    if not comp.mounts:
        return []
    if comp.kind == "function":
        return [error("IC-FS-004", f"function `{comp.name}` cannot mount a file system: infracc runs functions "
                      "outside the VPC unless they use a database or cache, and Lambda mounts EFS only from inside "
                      "it", comp.mounts[0].origin,
                      "mount the file system in a service or job, or keep the files in a bucket (`uses: [bucket:read]`)")]
    out: list[Diagnostic] = []
    names = env.graph.by_name()
    filesystems = [c.name for c in env.graph.components("filesystem")]
    paths: set[str] = set()
    mounted: set[str] = set()
    writable = _writable(comp)
    if getattr(comp.spec, "stateful", False):  # a stateful service's own volume (eks)
        writable.add(STATEFUL_DATA)
    for m in comp.mounts:
        target = names.get(m.filesystem)
        if target is None or target.kind != "filesystem":
            what = "is not a component of this stack" if target is None else f"is a {target.kind}, not a filesystem"
            out.append(error("IC-FS-001", f"`{comp.name}` mounts `{m.filesystem}`, which {what}", m.origin,
                             did_you_mean(m.filesystem, filesystems)
                             or ("name one of: " + ", ".join(filesystems) if filesystems
                                 else "declare it under `filesystems:`")))
        elif m.filesystem in mounted:
            out.append(error("IC-FS-002", f"`{comp.name}` mounts `{m.filesystem}` twice", m.origin,
                             "mount a file system once per workload (one access point, one directory)"))
        mounted.add(m.filesystem)
        problem = _path_problem(m, writable)
        if problem is not None:
            out.append(error("IC-FS-006", f"mount path `{m.path}` of `{comp.name}` {problem}", (*m.origin, "path")
                             if not _shorthand(comp, m) else m.origin,
                             "use an absolute directory of its own, e.g. `/srv/media` (not /, /tmp, a `writable` path, "
                             "a stateful service's /data, or under /proc, /sys or /dev)"))
            continue
        path = posixpath.normpath(m.path)
        if path in paths:
            out.append(error("IC-FS-002", f"`{comp.name}` mounts two file systems on `{path}`", m.origin,
                             "give each mount its own directory"))
        paths.add(path)
    return out


def _writable(comp: Component) -> set[str]:
    """The scratch directories the workload will get: as written, or what a known prebuilt image
    writes (the resolve pass decides the same from the same table)."""
    spec = comp.spec
    written = [p for p in (spec.writable or []) if p.startswith("/")] if spec.writable is not None else None
    image = str(spec.image) if spec.image is not None else None
    return set(hardening(written, spec.run_as, image)["writable"])


def _shorthand(comp: Component, m: MountRef) -> bool:
    """Whether the entry was written `fs:/path` (then its position is the entry itself)."""
    index = m.origin[-1]
    entries = getattr(comp.spec, "mounts", None) or []
    return isinstance(index, int) and index < len(entries) and isinstance(entries[index], str)


def _path_problem(m: MountRef, writable: set[str]) -> str | None:
    if not m.path.startswith("/"):
        return "is not absolute"
    if ".." in PurePosixPath(m.path).parts:
        return "contains `..`"
    path = posixpath.normpath(m.path)
    if path == "/":
        return "would hide the whole image"
    if any(path == p or path.startswith(p + "/") for p in KERNEL_PATHS):
        return "is under a kernel filesystem"
    if path == ALWAYS_WRITABLE or path in writable:
        return "is already a writable directory of the workload (/tmp, `writable`, a stateful service's /data)"
    return None


def filesystem_problems(ir: StackIR) -> list[Diagnostic]:
    """A file system nothing mounts, or nothing writes (once, naming the environments); One Zone
    where the environment must survive the loss of a zone."""
    out: list[Diagnostic] = []
    unmounted: dict[str, list[str]] = {}
    unwritten: dict[str, tuple[list[str], Path]] = {}
    for env in ir.envs.values():
        for comp in env.graph.components("filesystem"):
            users = env.graph.users(comp.id)
            if not users:
                unmounted.setdefault(comp.name, []).append(env.name)
            elif all(c.mode == "read" for c in users):
                unwritten.setdefault(comp.name, ([], users[0].origin))[0].append(env.name)
            if comp.spec.one_zone and env.settings.high_availability:
                out.append(error("IC-FS-005", f"filesystem `{comp.name}` is One Zone in `{env.name}`, a "
                                 "high-availability environment: the files would be lost with that zone",
                                 comp.where("one_zone"), "set `one_zone: true` only in the overrides of the "
                                 "environments that may lose it, e.g. `overrides: {dev: {one_zone: true}}`"))
    for name, envs in unmounted.items():
        out.append(warning("IC-FS-003", f"filesystem `{name}` is mounted by nothing in {_envs(ir, envs)}; it is still "
                           "created and billed", ("filesystems", name),
                           f"add `mounts: [{name}:/data]` to the service or job that uses it, or remove it"))
    for name, (envs, origin) in unwritten.items():
        out.append(warning("IC-FS-007", f"filesystem `{name}` is mounted read-only by every workload in "
                           f"{_envs(ir, envs)}: nothing can put files on it", origin,
                           "mount it read-write (`read_only: false`) in the workload that writes the files"))
    return out


def _envs(ir: StackIR, envs: list[str]) -> str:
    return "every environment" if len(envs) == len(ir.envs) else ", ".join(f"`{e}`" for e in envs)
