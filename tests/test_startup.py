"""What each command loads at start-up (issue #14): a cold process pays only for what it uses.

Measured timings live in `make bench` (benchmarks/cold.py), never in a test; these tests pin
the cause instead: which modules a command imports.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "three-tier" / "stack.yaml"

PROBE = """
import json, sys
from infracc.compiler.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print("\\nMODULES " + json.dumps(sorted(sys.modules)))
"""


def loaded(*args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, check=False)
    line = next(x for x in proc.stdout.splitlines() if x.startswith("MODULES "))
    return set(json.loads(line.removeprefix("MODULES ")))


def _any(modules: set[str], *prefixes: str) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


HEAVY_EVERYWHERE = ("questionary", "mcp", "cdktn", "cdktf", "jsii", "checkov", "helm_python", "kubernetes_validate")


def test_version_imports_almost_nothing() -> None:
    found = loaded("--version")
    assert _any(found, "pydantic", "ruamel", "networkx", "rich", "jinja2", "yaml", "jsonschema",
                *HEAVY_EVERYWHERE) == []
    assert _any(found, "infracc") == sorted(
        {"infracc", "infracc.compiler", "infracc.compiler.cli", "infracc.compiler.cli_types",
         "infracc.compiler.cli_hooks", "infracc.compiler.cli_init", "infracc.compiler.cli_workflow",
         "infracc.compiler.version"} & found) and "infracc.compiler.cli" in found


def test_help_imports_no_compiler() -> None:
    found = loaded("--help")
    assert _any(found, "pydantic", "ruamel", "networkx", "infracc.schema", "infracc.compiler.pipeline",
                *HEAVY_EVERYWHERE) == []


@pytest.mark.parametrize("command", ["validate", "cost"])
def test_analysis_commands_load_no_backend(command: str) -> None:
    found = loaded(command, str(EXAMPLE))
    assert "infracc.compiler.pipeline" in found  # the probe ran the command
    # stack.yaml is read with libyaml (PyYAML's C parser, compiler/yaml12.py); ruamel's
    # pure-Python reader is not loaded at all.
    assert "yaml" in found and _any(found, "ruamel") == []
    assert _any(found, "infracc.backends", "jinja2", *HEAVY_EVERYWHERE) == []


def _entry(*args: str, before: str = "") -> subprocess.CompletedProcess[str]:
    code = f"import sys\n{before}\nsys.argv = ['infracc', *sys.argv[1:]]\nfrom infracc.compiler.entry import main\nmain()\n"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, check=False)


def test_console_script_keeps_exit_codes_output_and_atexit() -> None:
    """The console script skips the interpreter's teardown (compiler/entry.py), never what a
    normal exit does: the exit status, everything printed, the atexit handlers."""
    hook = "import atexit\natexit.register(lambda: print('atexit ran', flush=True))"
    ok = _entry("--version", before=hook)
    assert ok.returncode == 0 and ok.stdout.splitlines() == [ok.stdout.splitlines()[0], "atexit ran"]
    assert ok.stdout.startswith("infracc, version ")
    assert _entry("validate", str(EXAMPLE)).returncode == 0
    bad = _entry("validate", str(ROOT / "pyproject.toml"))
    assert bad.returncode == 1 and "error[" in bad.stderr
    assert _entry("no-such-command").returncode == 2
    assert _entry("compile", "--help").stdout.startswith("Usage:")


def test_console_script_installs_the_precompiled_code_a_command_uses() -> None:
    """compiler/precompiled.py: the stored patterns always, the dataclass code only for a command
    (`--version` and help define no dataclass, and would pay for importing `dataclasses`)."""
    hook = ("import atexit, sys\natexit.register(lambda: print('dataclasses' in sys.modules, "
            "type(vars(sys.modules.get('dataclasses', sys)).get('exec')).__name__, flush=True))")
    assert _entry("--version", before=hook).stdout.splitlines()[-1] == "False NoneType"
    assert _entry("validate", "--help", before=hook).stdout.splitlines()[-1] == "False NoneType"
    from infracc.compiler import entry, prebuilt_regex, precompiled

    same_python = precompiled._interpreter() == prebuilt_regex.INTERPRETER
    assert _entry("validate", str(EXAMPLE), before=hook).stdout.splitlines()[-1] == \
        f"True {'function' if same_python else 'NoneType'}"
    assert [entry._runs_command(a) for a in (["--version"], ["-q", "validate", "x"], ["cost", "-h"], [])] == \
        [False, True, False, False]


def test_console_script_runs_the_entry_that_tunes_the_process() -> None:
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"infracc": "infracc.compiler.entry:main"}
    from infracc.compiler import entry

    assert [entry._status(c) for c in (None, 0, 1, 3, 130, 256)] == [0, 0, 1, 3, 130, 0]


NODE_PROBE = """
import collections, json, sys
from jsii._kernel.providers import process
seen = collections.Counter()
send = process._NodeProcess.send
def counting(self, request, response_type):
    seen[type(request).__name__ + ":" + str(getattr(request, "method", None) or getattr(request, "fqn", ""))] += 1
    return send(self, request, response_type)
process._NodeProcess.send = counting
from infracc.compiler.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print("\\nNODE " + json.dumps(seen))
"""


def test_terraform_synthesis_crosses_to_node_only_for_constructs(tmp_path: Path) -> None:
    """Round trips to CDKTF's Node process (issue #14): the two assemblies, the App, a stack and
    its S3 backend per environment, one synth. Settings and blocks are merged in Python."""
    stack = ROOT / "examples" / "serverless" / "stack.yaml"
    proc = subprocess.run([sys.executable, "-c", NODE_PROBE, "compile", str(stack), "-o", str(tmp_path / "out"),
                           "--target", "terraform"], capture_output=True, text=True, cwd=ROOT, check=False)
    line = next(x for x in proc.stdout.splitlines() if x.startswith("NODE "))
    seen = json.loads(line.removeprefix("NODE "))
    envs = len(list((tmp_path / "out" / "terraform").iterdir()))
    assert envs >= 2
    assert seen == {"LoadRequest:": 2, "CreateRequest:cdktn.App": 1, "CreateRequest:cdktn.TerraformStack": envs,
                    "CreateRequest:cdktn.S3Backend": envs, "InvokeRequest:synth": 1}, seen


START_PROBE = """
import sys, threading
from jsii._kernel.providers import process
starts = []
start = process._NodeProcess.start
def counting(self):
    starts.append(threading.current_thread().name)
    return start(self)
process._NodeProcess.start = counting
from infracc.compiler.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print("\\nSTARTS " + ",".join(starts))
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_compile_starts_node_once_while_the_prewarm_imports(tmp_path: Path) -> None:
    """backends/cdk_warm.py: jsii's Node process is started on a thread of its own while the
    prewarm imports cdktn's dependencies, and cdktn then uses that process (no second start)."""
    stack = ROOT / "examples" / "serverless" / "stack.yaml"
    proc = subprocess.run([sys.executable, "-c", START_PROBE, "compile", str(stack), "-o", str(tmp_path / "out"),
                           "--target", "terraform"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("STARTS "))
    assert line.removeprefix("STARTS ").split(",") == ["infracc-node-start"]
    assert any((tmp_path / "out" / "terraform").rglob("*.tf.json"))


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("validate", str(EXAMPLE))])
def test_no_command_starts_with_what_only_some_use(args: tuple[str, ...]) -> None:
    """`subprocess` only for `hook`/`check`; TOML and XML parsers only for a build context with a
    pyproject.toml or a pom.xml (three-tier has neither)."""
    found = loaded(*args)
    assert _any(found, "subprocess", "tomllib", "xml.etree") == []
