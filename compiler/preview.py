"""Preview environments: the per-pull-request copy of a `preview: true` template environment.

`copy_spec` turns a stack into the stack of one copy: the template is the only environment,
renamed `pr-<number>` (every resource name derives from it, so copies never collide), and each
component's `overrides` for the template become the copy's. The build step gives a preview
environment its defaults (size small, spot, no high availability, no deletion protection); its
data stores are new, hence empty.

>>> copy_spec({"environments": {"dev": {}, "preview": {"preview": True}},
...            "services": {"web": {"overrides": {"preview": {"replicas": 1}, "dev": {"replicas": 2}}}}}, 42)
({'environments': {'pr-42': {'preview': True}}, 'services': {'web': {'overrides': {'pr-42': {'replicas': 1}}}}}, 'preview')
"""
from __future__ import annotations

import copy

SECTIONS = ("services", "jobs", "databases", "caches", "buckets", "queues", "tables", "filesystems", "functions",
            "sites", "externals", "secrets")


class PreviewError(ValueError):
    """The stack has no (or no such) preview template, or the number is not a pull request number."""


def templates(data: dict[str, object]) -> list[str]:
    envs = data.get("environments")
    return [str(n) for n, e in envs.items() if isinstance(e, dict) and e.get("preview") is True] if isinstance(envs, dict) else []


def env_name(number: int) -> str:
    """The copy's environment name; `pr-` and the number keep it within the 16 characters allowed."""
    if not 0 < number < 10**13:
        raise PreviewError(f"{number} is not a pull request number")
    return f"pr-{number}"


def copy_spec(data: dict[str, object], number: int, template: str | None = None) -> tuple[dict[str, object], str]:
    """(the copy's stack data, the template's name)."""
    found = templates(data)
    if not found:
        raise PreviewError("no environment has `preview: true`")
    if template is None:
        if len(found) > 1:
            raise PreviewError(f"several preview templates ({', '.join(found)}); choose one with --env")
        template = found[0]
    elif template not in found:
        raise PreviewError(f"`{template}` is not a preview template; templates: {', '.join(found)}")
    name = env_name(number)
    out = copy.deepcopy(data)
    envs = data["environments"]
    assert isinstance(envs, dict)
    out["environments"] = {name: copy.deepcopy(envs[template])}
    for section in SECTIONS:
        components = out.get(section)
        for comp in components.values() if isinstance(components, dict) else []:
            if isinstance(comp, dict) and isinstance(comp.get("overrides"), dict):
                own = comp["overrides"].get(template)
                if own is None:
                    del comp["overrides"]
                else:
                    comp["overrides"] = {name: own}
    return out, template
