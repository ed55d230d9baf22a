"""The `infracc` command line.

Exit codes: 0 ok (warnings allowed), 1 the spec has errors or output is stale, 2 usage error,
3 internal error (a bug; `INFRACC_DEBUG=1` adds the traceback), 130 interrupted (SIGINT,
Ctrl-C), 143 terminated (SIGTERM). No traceback reaches a user for bad input: spec problems are
diagnostics, and an interrupt prints one line.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from infracc.compiler.cli_types import (
    STDIN,
    STDIN_NAME,
    LazyChoice,
    Progress,
    Settings,
    base_dir_option,
    color,
    say,
    stack_argument,
)

if TYPE_CHECKING:
    from pathlib import PurePosixPath

    from infracc.compiler.diagnostics import Diagnostic
    from infracc.compiler.ir import EnvIR
    from infracc.compiler.pipeline import Result

# Start-up cost is paid per command (issue #14): this module imports click and nothing of the
# compiler; each command imports what it uses when it runs (`--version` imports nothing else).
# Keep it so: tests/test_startup.py checks which modules a command loads.

# Signals first: a Ctrl-C while a command imports the compiler should print one line too, not
# a KeyboardInterrupt traceback from some import. Only the `infracc` process itself installs
# them here (not a program or test that imports this module); `run()` installs them in any case.


class Interrupted(BaseException):
    """SIGINT or SIGTERM, raised in the main thread while a command runs.

    A BaseException (like KeyboardInterrupt) so that `except Exception` does not swallow it and
    `finally` blocks still run (the writer's temporary directory, CDKTF's synth directory), but
    not a KeyboardInterrupt, which click would turn into `Aborted!` and exit 1.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _Interrupt:
    """What the signal handler knows: whether a command is running (`armed`: raise Interrupted),
    which signal came first, and where the real stderr went. Any later signal, or one outside a
    command, exits at once."""

    armed = False
    signum: int | None = None
    stderr: int = 2
    announced = False
    mid_line = False  # a progress line was on the terminal when the signal came


def _on_signal(signum: int, _frame: object) -> None:
    if _Interrupt.signum is None:
        _Interrupt.signum = signum
        _Interrupt.mid_line = Progress.shown
        _silence()
    if _Interrupt.armed:
        _Interrupt.armed = False
        raise Interrupted(signum)
    _leave_now(_Interrupt.signum)


def _install_signal_handlers() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) != signal.SIG_IGN:  # nohup and friends keep their choice
            signal.signal(signum, _on_signal)


def _silence() -> None:
    """From the first signal on, stdout and stderr (fds 1 and 2) go to /dev/null; the real
    stderr is kept for the one line an interrupt prints.

    Measured noise otherwise: Ctrl-C reaches the whole process group, so the jsii Node processes
    die with infracc. Node reports it (`Error on jsii API channel to child process: Error: read
    ECONNRESET`, relayed to our stderr by jsii's reader thread), and at exit jsii's atexit hook
    `_NodeProcess.stop` writes to the dead process's stdin and prints a BrokenPipeError traceback.
    That hook must still run (it removes jsii's runtime directory, and when only infracc got the
    signal it stops Node cleanly), so the exit goes on normally and its noise goes nowhere.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # e.g. a reentrant flush if the signal hit a write
            stream.flush()
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        _Interrupt.stderr = os.dup(2)
    except OSError:
        return
    for fd in (1, 2):
        with contextlib.suppress(OSError):
            os.dup2(devnull, fd)
    os.close(devnull)


def _say(text: str) -> None:
    with contextlib.suppress(OSError):
        os.write(_Interrupt.stderr, text.encode("utf-8", "replace"))


def _announce() -> None:
    """The one line an interrupt prints (once)."""
    if not _Interrupt.announced:
        _Interrupt.announced = True
        _say(("\n" if _Interrupt.mid_line else "") + "infracc: interrupted\n")  # after a status line


def _leave_now(signum: int | None) -> None:
    """A signal while shutting down (or a second Ctrl-C): one line at most, then exit now."""
    _announce()
    os._exit(128 + (signum or signal.SIGINT))


def _started_as_infracc() -> bool:
    argv = getattr(sys, "argv", None) or [""]
    return __name__ == "__main__" or Path(argv[0]).name == "infracc"


if _started_as_infracc():
    _install_signal_handlers()

FORMATS = click.Choice(["text", "json", "sarif"])


def _targets() -> tuple[str, ...]:
    from infracc.schema.models import TARGETS

    return TARGETS


def _analyze(path: str, base_dir: str | None = None, skip: frozenset[str] = frozenset()) -> Result:
    from infracc.compiler.cli_types import analyze_stack

    return analyze_stack(path, base_dir, skip)


def _report(result: Result, fmt: str, extra: dict[str, object] | None = None, verbose: bool = False) -> None:
    """Print diagnostics; text hides notes unless `verbose` (JSON and SARIF carry everything)."""
    from infracc.compiler import render
    from infracc.compiler.diagnostics import Severity
    from infracc.compiler.version import VERSION

    diags = result.diagnostics
    if fmt == "json":
        payload = {"ok": result.ok, "diagnostics": render.as_json(diags, result.source), **(extra or {})}
        click.echo(render.dumps(payload), nl=False)
    elif fmt == "sarif":
        click.echo(render.dumps(render.as_sarif(diags, result.source, VERSION)), nl=False)
    else:
        # -q: errors only; otherwise warnings too, and notes with --verbose.
        shown = [d for d in diags if d.is_error or (not Settings.quiet and (verbose or d.severity is not Severity.NOTE))]
        if shown:
            click.echo(render.as_text(shown, result.source, color()), err=True, nl=False)


def _summary(diags: list[Diagnostic]) -> str:
    from infracc.compiler.diagnostics import Severity

    counts = [sum(d.severity is s for d in diags) for s in (Severity.ERROR, Severity.WARNING, Severity.NOTE)]
    text = f"{counts[0]} error(s), {counts[1]} warning(s)"
    return text + (f", {counts[2]} note(s) (--verbose shows them)" if counts[2] else "")


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """`--version`, computed only when asked (click's version_option wants it at import)."""
    if not value or ctx.resilient_parsing:
        return
    from infracc.compiler.version import VERSION

    click.echo(f"infracc, version {VERSION}")
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog="""\b
Examples:
  infracc init --pattern three-tier --name shop   # draft a commented stack.yaml
  infracc validate stack.yaml                     # every problem, with file:line:col
  infracc compile stack.yaml -o out               # generate everything into out/
  infracc cost stack.yaml --env prod              # monthly estimate
  cat stack.yaml | infracc -q validate -          # from stdin, errors only
Exit codes: 0 ok, 1 the spec has errors or out/ is stale, 2 usage error, 3 a bug in infracc,
130/143 interrupted. `infracc COMMAND --help` shows each command's options and examples.""")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show the version and exit.")
@click.option("--no-color", is_flag=True, help="No colour in diagnostics (also: the NO_COLOR environment variable).")
@click.option("-q", "--quiet", is_flag=True,
              help="Print only errors and what the command was asked for (no warnings, summaries or progress).")
def main(no_color: bool, quiet: bool) -> None:
    """infracc: compile one stack.yaml into Terraform, Kubernetes, Helm, Docker, Compose, CI and runbooks.

    Global options go before the command: `infracc -q --no-color validate stack.yaml`. Every
    command that reads a stack takes `-` for stdin (with `--base-dir` for its relative paths).
    """
    Settings.no_color = no_color
    Settings.quiet = quiet


@main.command(short_help="Check a stack.yaml: every problem, with file:line:col.", epilog="""\b
Examples:
  infracc validate stack.yaml
  infracc validate stack.yaml --format sarif > infracc.sarif   # for code scanning
  infracc validate - --base-dir services/ < stack.yaml          # from stdin""")
@stack_argument
@base_dir_option
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True,
              help="text (stderr, with the source line), json, or sarif (SARIF 2.1.0).")
@click.option("-v", "--verbose", is_flag=True, help="Also print notes (what infracc assumed or decided).")
def validate(stack: str, base_dir: str | None, fmt: str, verbose: bool) -> None:
    """Check a stack.yaml and report every problem with file:line:col, a rule code and a hint.

    Runs every pass `compile` runs (schema, references, security and compliance, sizing, cost,
    what each target cannot express) and no backend; exit 1 when the spec has an error.
    """
    # Every pass compile runs (the cost pass too: a missing price is knowable), no backend.
    result = _analyze(stack, base_dir)
    _report(result, fmt, verbose=verbose)
    if fmt == "text" and (not result.ok or not Settings.quiet):
        label = STDIN_NAME if stack == STDIN else stack
        click.echo(f"{label}: {'ok' if result.ok else 'failed'} ({_summary(result.diagnostics)})",
                   err=not result.ok)
    sys.exit(0 if result.ok else 1)


def _prewarm_terraform(targets: tuple[str, ...]) -> bool:
    """Start CDKTF's Node process while the passes run (it takes ~0.5 s, mostly in Node, on the
    other core); False when `--target` leaves Terraform out."""
    if targets and "terraform" not in targets:
        return False
    from infracc.backends import cdk_warm

    cdk_warm.prewarm()
    return True


@main.command(name="compile", short_help="Generate everything for a stack into an output directory.", epilog="""\b
Examples:
  infracc compile stack.yaml -o out                  # all of the stack's targets
  infracc compile stack.yaml -o out --target docs    # only the runbook
  infracc compile stack.yaml -o out --check          # CI: exit 1 when out/ is stale
  infracc compile - --base-dir . -o out < stack.yaml # from stdin""")
@stack_argument
@base_dir_option
@click.option("-o", "--out", default="out", show_default=True, type=click.Path(file_okay=False),
              help="Output directory (replaced as a whole).")
@click.option("--target", "targets", multiple=True, type=LazyChoice(_targets),
              help="Only these of the stack's targets (repeatable).")
@click.option("--check", is_flag=True, help="Do not write; exit 1 if the output directory is not up to date.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True,
              help="json includes every decision the passes made.")
@click.option("-v", "--verbose", is_flag=True, help="Also print notes (what infracc assumed or decided).")
def compile_(stack: str, base_dir: str | None, out: str, targets: tuple[str, ...], check: bool, fmt: str,
             verbose: bool) -> None:
    """Generate everything for a stack into the output directory: Terraform, Kubernetes and Helm
    (eks, or when `targets` lists them), Dockerfiles, compose, CI and the runbook.

    The output directory is replaced as a whole, and only when the spec has no error. On a
    terminal a status line on stderr shows the step (not with -q).
    """
    from infracc.compiler import writer
    from infracc.compiler.pipeline import emit
    from infracc.compiler.report import decisions
    from infracc.compiler.version import VERSION

    started = time.perf_counter()
    progress = Progress()
    files: dict[PurePosixPath, str] = {}
    written: str | None = None
    try:
        progress.step(f"checking {stack}")
        warming = _prewarm_terraform(targets)
        result = _analyze(stack, base_dir)
        refused = _refused_targets(result, targets) if result.ok else None
        if result.ok and refused is None:
            emit(result, list(targets) or None, progress=lambda name: progress.step(f"generating {name}"))
        if warming:  # done already when Terraform was synthesized; else do not exit mid-import
            from infracc.backends import cdk_warm

            cdk_warm.settle()
        if refused is not None:
            raise click.BadParameter(refused, param_hint="--target")
        if result.ok and not check:
            progress.step(f"writing {len(result.files)} files to {out}/")
            files = writer.with_lock(result.files, VERSION)
            written = _write(out, files)
    finally:
        progress.done()
    if not result.ok:
        _report(result, fmt, verbose=verbose)
        if fmt == "text":
            click.echo(_summary(result.diagnostics), err=True)
        sys.exit(1)
    assert result.ir is not None
    extra: dict[str, object] = {"decisions": decisions(result.ir)} if fmt == "json" else {}
    if check:
        files = writer.with_lock(result.files, VERSION)
        drift = writer.check(Path(out), files)
        extra["drift"] = {"stale": drift.stale, "missing": drift.missing, "unexpected": drift.unexpected}
        _report(result, fmt, extra, verbose)
        if fmt == "text":
            for label, paths in (("stale", drift.stale), ("missing", drift.missing), ("unexpected", drift.unexpected)):
                for p in paths:
                    click.echo(f"{label}: {Path(out) / p}", err=True)
            if drift.clean:
                say(f"{out}: up to date")
            else:
                click.echo(f"{out}: out of date; run `infracc compile {stack} -o {out}`", err=True)
        sys.exit(0 if drift.clean else 1)
    if written is not None:
        click.echo(f"{out}: error[IC-OUT-001]: {written}\n       = hint: choose a new directory with -o", err=True)
        sys.exit(1)
    _report(result, fmt, extra, verbose)
    if fmt == "text":
        elapsed = time.perf_counter() - started
        say(f"wrote {len(files)} files to {out}/ in {elapsed:.2f}s ({_summary(result.diagnostics)})")


def _write(out: str, files: dict[PurePosixPath, str]) -> str | None:
    """Replace the output directory; the refusal's reason when infracc will not (IC-OUT-001)."""
    from infracc.compiler import writer

    try:
        writer.write(Path(out), files)
    except writer.OutputError as exc:
        return str(exc)
    return None


def _refused_targets(result: Result, targets: tuple[str, ...]) -> str | None:
    """`--target` narrows the stack's targets: naming one the stack does not have is a usage error."""
    assert result.ir is not None
    unknown = [t for t in targets if t not in result.ir.targets]
    if not unknown:
        return None
    why = (" (an ecs stack gets kubernetes and helm only when `targets` lists them)"
           if result.ir.platform == "ecs" and set(unknown) & {"kubernetes", "helm"} else "")
    return f"{', '.join(unknown)}: not among this stack's targets ({', '.join(result.ir.targets)}){why}"


@main.command(short_help="Explain a diagnostic code or policy rule.", epilog="""\b
Examples:
  infracc explain IC-REF-001     # why, how to fix, whether it can be allowed
  infracc explain --list         # every code and rule""")
@click.argument("code", required=False)
@click.option("--list", "list_all", is_flag=True, help="List every diagnostic code and policy rule.")
def explain(code: str | None, list_all: bool) -> None:
    """Explain a diagnostic code or policy rule: severity, compliance controls, why it exists,
    how to fix it, and whether `allow:` may waive it. Without CODE, the list of all of them."""
    from infracc.compiler.catalogue import registry
    from infracc.compiler.diagnostics import did_you_mean

    reg = registry()
    if list_all or code is None:
        for entry in reg:
            click.echo(f"{entry.id:<15} {entry.severity:<8} {entry.title}")
        return
    rule = reg.get(code.upper())
    if rule is None:
        hint = did_you_mean(code.upper(), reg.ids())
        raise click.UsageError(f"unknown code {code!r}" + (f"; {hint}" if hint else "; see `infracc explain --list`"))
    click.echo(f"{rule.id}: {rule.title}\n")
    click.echo(f"severity:  {rule.severity}")
    if rule.pack:
        click.echo(f"pack:      {rule.pack}")
    if rule.controls:
        click.echo(f"controls:  {', '.join(rule.controls)}")
    if rule.allowable:
        click.echo("allowable: yes, with `allow: [{rule: " + rule.id + ", reason: ...}]`")
    click.echo(f"\nwhy:  {rule.rationale}\nfix:  {rule.fix}")


@main.command(short_help="Print or write the JSON Schema of stack.yaml.", epilog="""\b
Examples:
  infracc schema -o stack.schema.json   # the file `# yaml-language-server: $schema=...` names
  infracc schema | jq .properties.services""")
@click.option("-o", "--out", "path", type=click.Path(dir_okay=False),
              help="Write the schema to this file instead of stdout (e.g. the stack.schema.json a modeline names).")
def schema(path: str | None) -> None:
    """Print the JSON Schema of stack.yaml (draft-07, for editors with the YAML language server
    and for agents), or write it to a file with -o."""
    from infracc.schema.stack import json_schema_text

    if path is None:
        click.echo(json_schema_text(), nl=False)
        return
    Path(path).write_text(json_schema_text(), encoding="utf-8")
    say(f"wrote {path}", err=True)


@main.command(short_help="Print the component graph of one environment.", epilog="""\b
Examples:
  infracc graph stack.yaml                      # Mermaid, the last environment
  infracc graph stack.yaml --format dot --env dev | dot -Tsvg > dev.svg""")
@stack_argument
@base_dir_option
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "json"]), default="mermaid", show_default=True)
@click.option("--env", "env_name", help="Environment (default: the last one).")
def graph(stack: str, base_dir: str | None, fmt: str, env_name: str | None) -> None:
    """Print the component graph of one environment: components and the `uses` edges between
    them, with their mode (read, write, send, ...), as Mermaid, Graphviz dot or JSON."""
    from infracc.compiler import graph_view

    result = _analyze(stack, base_dir, skip=frozenset({"security", "sizing", "cost"}))
    if not result.ok or result.ir is None:
        _report(result, "text")
        sys.exit(1)
    env = _env(result, env_name)
    click.echo({"mermaid": graph_view.mermaid, "dot": graph_view.dot, "json": graph_view.as_json}[fmt](env), nl=False)


def _env(result: Result, name: str | None) -> EnvIR:
    assert result.ir is not None
    if name is None:
        return list(result.ir.envs.values())[-1]
    if name not in result.ir.envs:
        raise click.BadParameter(f"no environment {name!r}; environments: {', '.join(result.ir.envs)}",
                                 param_hint="--env")
    return result.ir.envs[name]


@main.command(short_help="Monthly cost estimate per environment, with the naive baseline.", epilog="""\b
Examples:
  infracc cost stack.yaml                       # every environment
  infracc cost stack.yaml --env prod --format markdown
  infracc cost - < stack.yaml""")
@stack_argument
@base_dir_option
@click.option("--env", "env_name", help="Only this environment.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table", show_default=True)
def cost(stack: str, base_dir: str | None, env_name: str | None, fmt: str) -> None:
    """Monthly cost estimate (USD) per environment and component, with line items, the naive
    baseline it is compared with, and the savings of each cost lever."""
    from infracc.compiler import cost_report

    result = _analyze(stack, base_dir)
    if not result.ok or result.ir is None:
        _report(result, "text")
        sys.exit(1)
    envs = [_env(result, env_name)] if env_name else list(result.ir.envs.values())
    click.echo(cost_report.render(result.ir, envs, fmt), nl=False)
    if fmt == "table":
        shown = {f"(environment `{env.name}`)" for env in envs}
        for d in result.diagnostics:
            if d.code.startswith("IC-COST") and any(s in d.message for s in shown):
                say(f"warning[{d.code}]: {d.message}", err=True)


def _interrupted(exc: BaseException) -> None:
    """Exit 128 + the signal number after the `finally` blocks ran; the exit itself is quiet."""
    if os.environ.get("INFRACC_DEBUG"):
        import traceback

        _say("".join(traceback.format_exception(exc)))
    _announce()
    sys.exit(128 + (_Interrupt.signum or signal.SIGINT))


def _internal_error(exc: Exception) -> None:
    if os.environ.get("INFRACC_DEBUG"):
        import traceback

        traceback.print_exception(exc)
        click.echo(f"infracc: internal error ({type(exc).__name__}: {exc}). This is a bug in infracc, not in "
                   "your spec; please report it with the traceback above.", err=True)
    else:
        click.echo(f"infracc: internal error ({type(exc).__name__}: {exc}). This is a bug in infracc, not in "
                   "your spec; rerun with INFRACC_DEBUG=1 for details and report it.", err=True)
    sys.exit(3)


def run() -> None:
    """Entry point: a bug in infracc prints one line and how to report it (exit 3; the traceback
    too with INFRACC_DEBUG=1); SIGINT/SIGTERM print `infracc: interrupted` and exit 130/143."""
    _install_signal_handlers()
    try:
        try:
            _Interrupt.armed = True
            try:
                main(standalone_mode=True)
            finally:
                _Interrupt.armed = False
        except SystemExit as exc:
            if _Interrupt.signum is not None:  # something turned the interrupt into an exit code
                raise Interrupted(_Interrupt.signum) from exc
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence for users
            if _Interrupt.signum is None:
                # A Ctrl-C reaches the whole process group: Node can die of it (and jsii fail) a
                # moment before our own handler runs. Give that signal a moment to arrive.
                _Interrupt.armed = True
                try:
                    time.sleep(0.3)
                except Interrupted:
                    pass
                finally:
                    _Interrupt.armed = False
            if _Interrupt.signum is not None:  # e.g. jsii failing because Node died of the same Ctrl-C
                raise Interrupted(_Interrupt.signum) from exc
            _internal_error(exc)
    except Interrupted as exc:
        _interrupted(exc)


# Workflow and agent integration (issue 8); each command lives in its own module.
from infracc.compiler.cli_hooks import hook  # noqa: E402
from infracc.compiler.cli_init import init  # noqa: E402
from infracc.compiler.cli_workflow import agent, check, diff_envs, mcp, tasks  # noqa: E402

for _command in (init, tasks, diff_envs, check, hook, mcp, agent):
    main.add_command(_command)


# Importers (issue 17): the command module loads only when `infracc import` runs.
@main.command(name="import", add_help_option=False,
              short_help="Write a stack.yaml from docker-compose or AWS Copilot.",
              context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def import_(args: tuple[str, ...]) -> None:
    """Write a stack.yaml from a docker-compose file or an AWS Copilot workspace (`infracc import --help`)."""
    from infracc.compiler.cli_import import import_group

    import_group.main(list(args), prog_name="infracc import")


@main.command(name="preview", add_help_option=False,
              short_help="A pull request's preview copy of the stack (run by CI).",
              context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def preview_(args: tuple[str, ...]) -> None:
    """Generate a pull request's preview copy of the stack (run by the generated CI; `--help`)."""
    from infracc.compiler.cli_preview import preview

    preview.main(list(args), prog_name="infracc preview")


if __name__ == "__main__":  # pragma: no cover
    run()
