"""`infracc init`: patterns are data, drafts validate, comments survive, nothing is overwritten."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from infracc.compiler import init_spec
from infracc.compiler.cli_init import ask, write
from infracc.compiler.pipeline import analyze

INFRACC = str(Path(sys.executable).parent / "infracc")
DOWN = "\x1b[B"


def _init(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([INFRACC, "init", *args], cwd=tmp_path, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)


@pytest.mark.parametrize("pattern", ["three-tier", "microservices", "serverless"])
def test_non_interactive_pattern_writes_a_commented_spec_that_validates(tmp_path: Path, pattern: str) -> None:
    proc = _init(tmp_path, "--pattern", pattern, "--name", "my-app", "--region", "eu-central-1", "-o", "stack.yaml")
    assert proc.returncode == 0, proc.stderr
    assert "Estimated monthly cost" in proc.stderr and "$" in proc.stderr
    text = (tmp_path / "stack.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert "# map order = promotion order" in text                # the pattern's comments survive
    result = analyze(tmp_path / "stack.yaml")
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    assert result.ir.name == "my-app" and result.ir.region == "eu-central-1"


def test_patterns_are_library_data() -> None:
    assert set(init_spec.patterns()) >= {"three-tier", "microservices", "serverless"}
    assert all(desc for desc in init_spec.patterns().values())


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    (tmp_path / "stack.yaml").write_text("keep me\n")
    proc = _init(tmp_path, "--pattern", "three-tier", "--name", "my-app")
    assert proc.returncode == 1 and "already exists" in proc.stderr
    assert (tmp_path / "stack.yaml").read_text() == "keep me\n"
    forced = _init(tmp_path, "--pattern", "three-tier", "--name", "my-app", "--force")
    assert forced.returncode == 0 and "keep me" not in (tmp_path / "stack.yaml").read_text()


def test_usage_errors(tmp_path: Path) -> None:
    bad_name = _init(tmp_path, "--pattern", "three-tier", "--name", "Bad_Name")
    assert bad_name.returncode == 2 and "--name" in bad_name.stderr and "Traceback" not in bad_name.stderr
    no_tty = _init(tmp_path)
    assert no_tty.returncode == 2 and "--pattern" in no_tty.stderr
    unknown = _init(tmp_path, "--pattern", "monolith", "--name", "my-app")
    assert unknown.returncode == 2 and not (tmp_path / "stack.yaml").exists()


def test_gdpr_outside_the_eu_is_refused_with_the_diagnostic(tmp_path: Path) -> None:
    answers = init_spec.Answers("three-tier", "my-app", "us-east-1", ["gdpr"])
    with pytest.raises(SystemExit) as exit_info:
        write(answers, tmp_path / "stack.yaml", confirm=False)
    assert exit_info.value.code == 1 and not (tmp_path / "stack.yaml").exists()


def test_wizard_asks_and_prunes_what_was_not_chosen(tmp_path: Path) -> None:
    # three-tier; name; web node; api → go; drop `cache`; keep both public; soc2+gdpr; default
    # region (eu-west-1 because of gdpr); environments: drop staging; confirm.
    keys = [DOWN * 2 + "\r", "wizard-shop\r", "\r", DOWN * 2 + "\r", DOWN + " \r", "\r", " " + DOWN + " \r", "\r",
            DOWN + " \r", "\r"]
    with create_pipe_input() as pipe:
        for k in keys:
            pipe.send_text(k)
        io = {"input": pipe, "output": DummyOutput()}
        answers = ask(init_spec.patterns(), **io)
        assert answers is not None
        write(answers, tmp_path / "stack.yaml", confirm=True, **io)
    assert answers.pattern == "three-tier" and answers.languages == {"web": "node", "api": "go"}
    assert answers.stores == ["db", "uploads"] and answers.compliance == ["soc2", "gdpr"]
    result = analyze(tmp_path / "stack.yaml")
    assert result.ok and result.ir is not None
    assert result.ir.env_names() == ["dev", "prod"] and result.ir.region == "eu-west-1"
    names = {c.name for c in result.ir.envs["prod"].graph}
    assert "cache" not in names and {"web", "api", "db", "uploads"} <= names
    api = result.ir.envs["prod"].graph.get("service.api")
    assert api.spec.build.language == "go" and all(u.name != "cache" for u in api.uses)


def _modeline_target(spec: Path) -> Path:
    first = spec.read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema="), first
    return spec.parent / first.split("$schema=", 1)[1].strip()


def test_the_schema_the_modeline_names_exists(tmp_path: Path) -> None:
    """Issue #15: `init` pointed at an https URL that is not served; now it writes the schema
    beside the spec and names it relatively (so the pair can be committed and moved together)."""
    from infracc.schema.stack import json_schema_text

    proc = _init(tmp_path, "--pattern", "serverless", "--name", "my-app", "-o", "infra/stack.yaml")
    assert proc.returncode == 0, proc.stderr
    schema = _modeline_target(tmp_path / "infra" / "stack.yaml")
    assert schema == tmp_path / "infra" / "stack.schema.json"
    assert schema.read_text() == json_schema_text()
    schema.write_text("{}\n")                                       # not infracc's: left alone
    again = _init(tmp_path, "--pattern", "serverless", "--name", "my-app", "-o", "infra/stack.yaml", "--force")
    assert again.returncode == 0 and "not infracc's schema" in again.stderr and schema.read_text() == "{}\n"
    refreshed = subprocess.run([INFRACC, "schema", "-o", str(schema)], capture_output=True, text=True, timeout=120)
    assert refreshed.returncode == 0 and schema.read_text() == json_schema_text()


def test_every_example_names_a_schema_that_exists() -> None:
    from conftest import ROOT

    for spec in (ROOT / "examples").glob("*/stack.yaml"):
        assert _modeline_target(spec).resolve() == (ROOT / "schema" / "stack.schema.json"), spec
