"""`infracc init`: the interactive wizard (questionary) and its non-interactive form."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from infracc.compiler.cli_types import LazyChoice, color, require_extra, say

if TYPE_CHECKING:
    from infracc.compiler.init_spec import Answers
    from infracc.compiler.pipeline import Result

# The pattern files, questionary and the compiler load only when `init` runs (issue #14).

LANGUAGES = ("python", "node", "go", "java")


def ask(spec_patterns: dict[str, str], **io: Any) -> Answers | None:
    """Ask what a platform engineer would; `io` (input/output) lets tests drive the prompts."""
    import questionary as q

    from infracc.compiler import init_spec
    from infracc.compiler.init_spec import Answers

    choices = [q.Choice(f"{name}: {desc}", value=name) for name, desc in spec_patterns.items()]
    pattern = q.select("Architecture pattern?", choices=choices, **io).unsafe_ask()
    base = init_spec.load(pattern)
    name = q.text("Stack name (a-z, 0-9, -; 3..24 chars)?", validate=_valid_name, **io).unsafe_ask()
    languages = {w: q.select(f"Language of `{w}`?", choices=list(LANGUAGES), default=lang if lang in LANGUAGES else None,
                             **io).unsafe_ask()
                 for w, lang in init_spec.built_workloads(base).items()}
    all_stores = init_spec.stores(base)
    stores = q.checkbox("Data stores to keep?", choices=[q.Choice(f"{n} ({k})", value=n, checked=True)
                                                         for n, k in all_stores.items()], **io).unsafe_ask()
    public_now = [n for n, s in base.get("services", {}).items() if "public" in s]
    public = q.checkbox("Public endpoints (internet-facing)?", choices=[q.Choice(n, checked=True) for n in public_now],
                        **io).unsafe_ask() if public_now else None
    compliance = q.checkbox("Compliance packs?", choices=[
        q.Choice("soc2: encryption, logging, backups, least privilege", value="soc2"),
        q.Choice("gdpr: EU regions, personal-data keys, log retention caps", value="gdpr")], **io).unsafe_ask()
    default_region = "eu-west-1" if "gdpr" in compliance else str(base.get("region", "us-east-1"))
    region = q.text("AWS region?", default=default_region, **io).unsafe_ask()
    envs = q.checkbox("Environments (promotion order)?", choices=[q.Choice(e, checked=True) for e in base["environments"]],
                      validate=lambda picked: bool(picked) or "pick at least one", **io).unsafe_ask()
    return Answers(pattern, name, region, compliance, envs, languages, stores, public)


def _valid_name(text: str) -> bool | str:
    import re

    from infracc.schema.stack import json_schema

    pattern = json_schema()["properties"]["name"]["pattern"]
    return bool(re.match(pattern, text)) or "lowercase a-z, 0-9 and -, 3..24 characters, starting with a letter"


def _cost_summary(result: Result) -> str:
    assert result.ir is not None
    lines = ["Estimated monthly cost (cost pass on this draft; usage-priced items not totalled):"]
    for env in result.ir.envs.values():
        s = env.settings
        extras = ", ".join(x for x, on in (("HA", s.high_availability), ("spot", s.spot)) if on)
        nat = f"{env.network.nat_gateways} NAT" if env.network else ""
        monthly = env.cost.monthly if env.cost else 0.0
        lines.append(f"  {env.name:<10} size {s.size:<7} {nat:<6} {extras:<9} ${monthly:>10,.2f}")
    return "\n".join(lines)


def _patterns() -> list[str]:
    from infracc.compiler import init_spec

    return sorted(init_spec.patterns())


@click.command(short_help="Draft a commented stack.yaml (wizard or --pattern).", epilog="""\b
Examples:
  infracc init                                          # the wizard (needs infracc[wizard])
  infracc init --pattern three-tier --name shop          # non-interactive
  infracc init --pattern serverless --name api -o infra/stack.yaml --region eu-west-1""")
@click.option("--pattern", type=LazyChoice(_patterns), help="Starter pattern (non-interactive).")
@click.option("--name", help="Stack name (non-interactive).")
@click.option("--region", help="AWS region. Default: the pattern's.")
@click.option("-o", "--out", "path", default="stack.yaml", show_default=True, type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option("--yes", is_flag=True, help="Interactive mode: write without the final confirmation.")
def init(pattern: str | None, name: str | None, region: str | None, path: str, force: bool, yes: bool) -> None:
    """Write a commented stack.yaml from a starter pattern (three-tier, microservices, serverless),
    and stack.schema.json beside it for editors: interactively (a wizard that also shows the
    monthly estimate), or with `--pattern P --name N`. An existing file is kept unless --force."""
    from infracc.compiler import init_spec
    from infracc.compiler.init_spec import Answers

    target = Path(path)
    if target.exists() and not force:
        click.echo(f"error: {path} already exists; use --force to overwrite it", err=True)
        sys.exit(1)
    if pattern is None:
        require_extra("questionary", "the interactive `infracc init` (or pass --pattern and --name)")
    if pattern is None and not sys.stdin.isatty():
        raise click.UsageError("not a terminal: pass --pattern and --name (or run in a terminal for the wizard)")
    if pattern is not None:
        if not name or _valid_name(name) is not True:
            raise click.BadParameter("--name is required with --pattern: lowercase a-z, 0-9 and -, 3..24 characters, "
                                     "starting with a letter", param_hint="--name")
        answers: Answers | None = Answers(pattern, name, region)
    else:
        answers = ask(init_spec.patterns())
    write(answers, target, confirm=pattern is None and not yes)


def write(answers: Answers | None, target: Path, confirm: bool, **io: Any) -> None:
    from infracc.compiler import init_spec, render

    if answers is None:
        sys.exit(1)
    text = init_spec.render(init_spec.draft(answers), answers.pattern)
    result = init_spec.estimate(text, str(target.absolute().parent))
    if not result.ok or result.ir is None:
        click.echo(render.as_text(result.diagnostics, result.source, color()), err=True, nl=False)
        click.echo(f"error: the drafted spec does not validate; nothing was written to {target}", err=True)
        sys.exit(1)
    say(_cost_summary(result), err=True)
    if confirm:
        import questionary as q

        if not q.confirm(f"Write {target}?", default=True, **io).unsafe_ask():
            sys.exit(1)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    schema_note = write_schema(target.parent / init_spec.SCHEMA_FILE)
    say(f"wrote {target} (pattern {answers.pattern}){schema_note}; next: infracc validate {target}")


def write_schema(path: Path) -> str:
    """Write the JSON Schema the spec's modeline names, beside it: a file infracc wrote before
    (its `$id`) is refreshed, anything else of that name is left alone."""
    import json

    from infracc.schema.stack import json_schema, json_schema_text

    text = json_schema_text()
    if path.exists():
        try:
            ours = json.loads(path.read_text(encoding="utf-8")).get("$id") == json_schema()["$id"]
        except (OSError, ValueError, AttributeError):
            ours = False
        if not ours:
            click.echo(f"warning: {path} exists and is not infracc's schema; left as it is "
                       f"(`infracc schema -o FILE` writes the schema elsewhere)", err=True)
            return ""
    path.write_text(text, encoding="utf-8")
    return f" and {path} (its JSON Schema, for editors)"
