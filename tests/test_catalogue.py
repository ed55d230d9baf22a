"""The compiled rule catalogue (library/catalogue/catalogue.json) and its YAML sources."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infracc.compiler import catalogue


def test_compiled_catalogue_is_up_to_date_with_its_yaml() -> None:
    root = catalogue._root()
    fresh = catalogue.compiled_text(catalogue.compile_sources(catalogue._sources(root)))
    committed = (root / catalogue.COMPILED).read_text(encoding="utf-8")
    assert committed == fresh, ("library/catalogue/catalogue.json is stale: run "
                                "`.venv/bin/python -m infracc.compiler.catalogue` and commit it")


def test_compiled_rules_equal_the_yaml_rules() -> None:
    root = catalogue._root()
    from_yaml = [catalogue.Rule(**row) for row in catalogue.compile_sources(catalogue._sources(root))["rules"]]
    assert sorted(from_yaml, key=lambda r: r.id) == list(catalogue.registry())
    assert len(from_yaml) > 50


def test_registry_loads_without_yaml_parser_or_pydantic() -> None:
    code = ("import sys; from infracc.compiler.catalogue import registry; n = len(registry().ids()); "
            "print(n, 'ruamel.yaml' in sys.modules, 'pydantic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) > 50 and out[1:] == ["False", "False"]


@pytest.fixture
def scratch_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = catalogue._root()
    for name in (*catalogue.CATALOGUE_FILES, catalogue.COMPILED):
        (tmp_path / name).write_bytes((root / name).read_bytes())
    monkeypatch.setattr(catalogue, "_root", lambda: tmp_path)
    catalogue.registry.cache_clear()
    yield tmp_path
    catalogue.registry.cache_clear()


def test_stale_compiled_file_is_ignored_for_the_yaml(scratch_catalogue: Path) -> None:
    yaml = scratch_catalogue / "diagnostics.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace('title: "Invalid YAML"', 'title: "Edited title"', 1),
                    encoding="utf-8")
    rule = catalogue.registry().get("IC-YAML-001")
    assert rule is not None and rule.title == "Edited title"


def test_compiled_file_is_what_a_run_reads(scratch_catalogue: Path) -> None:
    compiled = scratch_catalogue / catalogue.COMPILED
    data = json.loads(compiled.read_text(encoding="utf-8"))
    data["rules"][0]["title"] = "from the compiled file"
    compiled.write_text(json.dumps(data), encoding="utf-8")
    assert catalogue.registry().get(data["rules"][0]["id"]).title == "from the compiled file"


def test_invalid_yaml_entry_is_refused_when_compiling(scratch_catalogue: Path) -> None:
    yaml = scratch_catalogue / "policies.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8") + "- id: not-an-id\n  title: t\n  severity: error\n"
                    "  rationale: r\n  fix: f\n", encoding="utf-8")
    with pytest.raises(ValueError, match="id"):
        catalogue.registry()


def test_write_compiled_round_trips(scratch_catalogue: Path) -> None:
    (scratch_catalogue / catalogue.COMPILED).unlink()
    catalogue.write_compiled()
    assert (scratch_catalogue / catalogue.COMPILED).read_text(encoding="utf-8") == (
        catalogue._root() / catalogue.COMPILED).read_text(encoding="utf-8")
