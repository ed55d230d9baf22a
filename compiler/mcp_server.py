"""`infracc mcp`: a Model Context Protocol server over stdio (the official `mcp` SDK).

Tools return structured results (plain JSON objects); diagnostics carry `file`, `line`,
`column`, `code`, `severity`, `message` and `hint` exactly as `infracc validate --format json`
prints them. `validate_spec` on a spec with errors is a normal result with `ok: false` (the
validation ran). Every other failure is a tool error (`isError: true`) whose structured content
is `{"ok": false, "error": ..., "diagnostics": [...]}`: the spec's diagnostics when the spec has
errors (compile, estimate_cost, diff_environments, tasks), none for a usage error (unknown
environment or rule, both paths or neither, an output directory infracc will not replace).
"""
from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec

from infracc.compiler import decided, render
from infracc.compiler.pipeline import Result, analyze, emit
from infracc.compiler.version import VERSION

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from mcp.types import CallToolResult

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
INSTRUCTIONS = ("infracc compiles one stack.yaml into Terraform, Kubernetes, Helm, Docker, Compose, CI and "
                "runbooks. Call validate_spec after every edit and fix diagnostics at their line:column; "
                "estimate_cost and diff_environments before asking for approval; never apply anything.")


def _analyze(path: str | None, text: str | None) -> Result:
    if (path is None) == (text is None):
        raise ValueError("pass exactly one of `path` (a stack.yaml file) or `text` (its content)")
    if path is not None:
        return analyze(Path(path))
    return analyze(text=text, name="stack.yaml")


def _diagnostics(result: Result) -> dict[str, Any]:
    return {"ok": result.ok, "diagnostics": render.as_json(result.diagnostics, result.source)}


class SpecFailed(Exception):
    """The spec has errors: the tool fails with the spec's diagnostics as its structured content."""

    def __init__(self, result: Result) -> None:
        errors = sum(d.is_error for d in result.diagnostics)
        super().__init__(f"the spec has {errors} error(s); see `diagnostics`")
        self.result = result


def _checked(path: str) -> Result:
    result = analyze(Path(path))
    if not result.ok or result.ir is None:
        raise SpecFailed(result)
    return result


def _env(result: Result, name: str | None, label: str) -> None:
    assert result.ir is not None
    if name is not None and name not in result.ir.envs:
        raise ValueError(f"{label}: no environment {name!r}; environments: {', '.join(result.ir.envs)}")


def validate_spec(path: str | None = None, text: str | None = None) -> dict[str, Any]:
    """Validate a stack.yaml (by `path`, or its content as `text`): every diagnostic with line:column, code, hint."""
    return _diagnostics(_analyze(path, text))


def compile_stack(path: str, out: str, targets: list[str] | None = None) -> dict[str, Any]:
    """Compile a stack.yaml into the output directory `out`; returns the files written and diagnostics
    (a spec with errors fails with its diagnostics, and nothing is written)."""
    from infracc.compiler import writer

    result = analyze(Path(path))
    if result.ok:
        emit(result, targets or None)
    if not result.ok:
        raise SpecFailed(result)
    files = writer.with_lock(result.files, VERSION)
    try:
        writer.write(Path(out), files)
    except writer.OutputError as exc:
        raise ValueError(f"IC-OUT-001: {exc}") from exc
    return {**_diagnostics(result), "out": str(Path(out).absolute()), "files": sorted(str(p) for p in files)}


def estimate_cost(path: str, env: str | None = None) -> dict[str, Any]:
    """Monthly cost estimate per environment (USD), with line items and the naive baseline."""
    result = _checked(path)
    _env(result, env, "env")
    assert result.ir is not None
    envs = [result.ir.envs[env]] if env else list(result.ir.envs.values())
    return {"stack": result.ir.name, "currency": "USD",
            "environments": {e.name: decided.cost(e).model_dump(mode="json") for e in envs}}


def explain_rule(code: str) -> dict[str, Any]:
    """Explain a diagnostic code or policy rule id, e.g. IC-REF-001 or IC-GDPR-001."""
    from infracc.compiler.catalogue import registry

    rule = registry().get(code.upper())
    if rule is None:
        raise ValueError(f"unknown code {code!r}; `infracc explain --list` lists them")
    return {"id": rule.id, "title": rule.title, "severity": rule.severity, "pack": rule.pack,
            "controls": list(rule.controls or []), "allowable": bool(rule.allowable),
            "rationale": rule.rationale, "fix": rule.fix}


def get_schema() -> dict[str, Any]:
    """The JSON Schema of stack.yaml."""
    from infracc.schema.stack import json_schema

    return json_schema()


def diff_environments(path: str, from_env: str, to_env: str) -> dict[str, Any]:
    """Effective differences between two environments (sizing, HA, retention, policies, cost delta)."""
    from infracc.compiler import env_diff

    result = _checked(path)
    _env(result, from_env, "from_env")
    _env(result, to_env, "to_env")
    assert result.ir is not None
    return _object(env_diff.as_json(env_diff.diff(result.ir, from_env, to_env)))


def tasks(path: str, env: str | None = None) -> dict[str, Any]:
    """Ordered infrastructure task breakdown (bootstrap, secrets, apply, images, migrations, deploy, verify)."""
    from infracc.compiler import tasks as t

    result = _checked(path)
    _env(result, env, "env")
    assert result.ir is not None
    return _object(t.as_json(result.ir, t.breakdown(result.ir, env)))


def _object(text: str) -> dict[str, Any]:
    """A JSON object as the tool result (the `as_json` renderers all write one object)."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise TypeError(f"expected a JSON object, got {type(data).__name__}")
    return data


Tool = Callable[..., dict[str, Any]]
P = ParamSpec("P")

TOOLS: dict[str, Tool] = {"validate_spec": validate_spec, "compile": compile_stack, "estimate_cost": estimate_cost,
         "explain_rule": explain_rule, "get_schema": get_schema, "diff_environments": diff_environments,
         "tasks": tasks}


def failure(exc: Exception) -> dict[str, Any]:
    """The structured content of a failed tool call."""
    diagnostics = render.as_json(exc.result.diagnostics, exc.result.source) if isinstance(exc, SpecFailed) else []
    return {"ok": False, "error": str(exc), "diagnostics": diagnostics}


def _failure_text(content: dict[str, Any]) -> str:
    """What a client without structured content reads: the error, then one line per error."""
    lines = [str(content["error"])]
    for d in content["diagnostics"]:
        if d["severity"] == "error":
            where = f"{d['file']}:{d['line']}:{d['column']}"
            lines.append(f"{where}: {d['severity']}[{d['code']}]: {d['message']}"
                         + (f" (hint: {d['hint']})" if d["hint"] else ""))
    return "\n".join(lines)


def _as_tool_error(fn: Callable[P, dict[str, Any]]) -> Callable[P, dict[str, Any] | CallToolResult]:
    """Spec and usage errors become a tool error with structured content (the SDK would turn a
    raised exception into the bare text `Error executing tool <name>: ...`)."""
    from mcp.types import CallToolResult, TextContent

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> dict[str, Any] | CallToolResult:
        try:
            return fn(*args, **kwargs)
        except (SpecFailed, ValueError, OSError) as exc:
            content = failure(exc)
            return CallToolResult(content=[TextContent(type="text", text=_failure_text(content))],
                                  structured_content=content, is_error=True)
    return wrapper


def server() -> MCPServer:
    # mcp 2 (pyproject pins mcp>=2.3,<3); 1.x called the class `mcp.server.fastmcp.FastMCP`.
    from mcp.server.mcpserver import MCPServer

    app = MCPServer("infracc", instructions=INSTRUCTIONS, log_level="WARNING")
    for name, fn in TOOLS.items():
        app.tool(name=name, description=fn.__doc__, structured_output=True)(_as_tool_error(fn))

    @app.resource("infracc://schema/stack.schema.json", name="stack-schema", mime_type="application/schema+json",
                  description="JSON Schema of stack.yaml")
    def schema_resource() -> str:
        return json.dumps(get_schema(), indent=2, sort_keys=True)

    @app.resource("infracc://examples", name="examples", mime_type="application/json",
                  description="Names of the example stacks (read infracc://examples/{name})")
    def examples_index() -> str:
        return json.dumps(sorted(p.parent.name for p in EXAMPLES.glob("*/stack.yaml")))

    @app.resource("infracc://examples/{name}", name="example", mime_type="application/yaml",
                  description="An example stack.yaml: three-tier, microservices or serverless")
    def example(name: str) -> str:
        known = {p.parent.name: p for p in EXAMPLES.glob("*/stack.yaml")}
        if name not in known:
            raise ValueError(f"unknown example {name!r}; examples: {', '.join(sorted(known))}")
        return known[name].read_text(encoding="utf-8")

    return app


def serve() -> None:
    server().run("stdio")
