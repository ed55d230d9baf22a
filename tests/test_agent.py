"""`agents/infrastructure-manager.md`: front matter, and every `infracc …` command in its
fenced code blocks runs against examples/three-tier with the documented exit code."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from ruamel.yaml import YAML

AGENT = ROOT / "agents" / "infrastructure-manager.md"
BIN = Path(sys.executable).parent


def _front_matter() -> dict:
    text = AGENT.read_text()
    assert text.startswith("---\n")
    return YAML(typ="safe").load(text.split("---\n")[1])


def commands() -> list[str]:
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", AGENT.read_text(), flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip().startswith("infracc ")]


def test_front_matter() -> None:
    meta = _front_matter()
    assert meta["name"] == "infrastructure-manager"
    assert len(meta["description"]) > 80
    assert "Bash" in meta["tools"] and "Read" in meta["tools"]


def test_instructions_cover_approval_and_hand_off() -> None:
    text = AGENT.read_text()
    for phrase in ("Never apply without explicit approval", "code reviewer", "test runner",
                   "documentation writer", "out/docs/", "partial spec", "infracc check out"):
        assert phrase in text, phrase


def test_every_documented_command_runs(tmp_path: Path) -> None:
    found = commands()
    assert len(found) >= 12
    assert {c.split()[1] for c in found} >= {"validate", "compile", "cost", "diff", "tasks", "check", "schema", "explain"}
    work = tmp_path / "project"
    shutil.copytree(ROOT / "examples" / "three-tier", work, ignore=shutil.ignore_patterns("out"))
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    for command in found:
        may_fail = re.search(r"#\s*exits 1", command) is not None
        proc = subprocess.run(["bash", "-c", command], cwd=work, env=env, capture_output=True, text=True, timeout=900)
        allowed = {0, 1} if may_fail else {0}
        assert proc.returncode in allowed, f"{command}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        assert "Traceback" not in proc.stderr, command


@pytest.mark.parametrize("word", ["terraform apply", "kubectl apply"])
def test_apply_commands_are_never_in_runnable_blocks(word: str) -> None:
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", AGENT.read_text(), flags=re.S)
    assert not any(word in b for b in blocks)


def _install(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOME": str(home)}
    return subprocess.run([str(BIN / "infracc"), "agent", "install", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_agent_install_puts_it_where_claude_code_reads_it(tmp_path: Path) -> None:
    """Issue #15: `.claude/agents/<name>.md` in the project (`--user`: ~/.claude/agents/);
    idempotent; an edited copy is kept unless --force."""
    project, home = tmp_path / "project", tmp_path / "home"
    project.mkdir()
    home.mkdir()
    first = _install(cwd=project, home=home)
    installed = project / ".claude" / "agents" / "infrastructure-manager.md"
    assert first.returncode == 0 and "written" in first.stdout, first.stderr
    text = installed.read_text()
    assert text.startswith(AGENT.read_text()) and "<!-- installed by infracc" in text.splitlines()[-1]
    meta = YAML(typ="safe").load(text.split("---\n")[1])
    assert meta["name"] == "infrastructure-manager"                 # Claude Code reads the same front matter
    again = _install(cwd=project, home=home)
    assert again.returncode == 0 and "up to date" in again.stdout and installed.read_text() == text
    installed.write_text(text.replace("Never apply", "Do not apply"))
    kept = _install(cwd=project, home=home)
    assert kept.returncode == 1 and "--force" in kept.stderr and "Do not apply" in installed.read_text()
    forced = _install("--force", cwd=project, home=home)
    assert forced.returncode == 0 and installed.read_text() == text
    user = _install("--user", cwd=project, home=home)
    assert user.returncode == 0 and (home / ".claude" / "agents" / "infrastructure-manager.md").read_text() == text


def test_an_older_install_is_updated_in_place(tmp_path: Path) -> None:
    from infracc.compiler import agent_install

    folder = tmp_path / ".claude" / "agents"
    folder.mkdir(parents=True)
    old = folder / "infrastructure-manager.md"
    old.write_text(agent_install.installed_text("---\nname: infrastructure-manager\n---\nolder text\n", "0.0.1"))
    assert agent_install.unmodified(old.read_text())
    [outcome] = agent_install.install(folder, "0.1.0")
    assert outcome.status == "updated" and old.read_text().startswith(AGENT.read_text())
    old.write_text("hand-written\n")
    assert agent_install.install(folder, "0.1.0")[0].status == "kept (modified)"
