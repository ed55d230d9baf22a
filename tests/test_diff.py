"""`infracc diff`: effective differences between two environments."""
from __future__ import annotations

import json

from click.testing import CliRunner
from conftest import ROOT

from infracc.compiler.cli import main
from infracc.compiler.env_diff import diff
from infracc.compiler.pipeline import analyze

THREE_TIER = str(ROOT / "examples" / "three-tier" / "stack.yaml")


def _diff(source: str, target: str):
    result = analyze(THREE_TIER)
    assert result.ir is not None
    return diff(result.ir, source, target), result.ir


def _find(d, area: str, subject: str, field: str):
    return next((c for c in d.changes if (c.area, c.subject, c.field) == (area, subject, field)), None)


def test_staging_to_prod_shows_size_ha_nat_replicas_retention_and_cost() -> None:
    d, ir = _diff("staging", "prod")
    assert (_find(d, "environment", "settings", "size").before, _find(d, "environment", "settings", "size").after) == ("medium", "large")
    assert _find(d, "environment", "settings", "high_availability").after is True
    assert _find(d, "network", "network", "nat_strategy").after == "per-az"
    api = _find(d, "sizing", "api", "replicas_min")
    assert (api.before, api.after) == (ir.envs["staging"].graph.get("service.api").sizing.replicas_min, 3)
    assert _find(d, "sizing", "db", "multi_az").after is True
    assert _find(d, "retention", "db", "deletion_protection").after is True
    assert d.cost_before == ir.envs["staging"].cost.monthly and d.cost_after == ir.envs["prod"].cost.monthly
    assert d.cost_delta > 0


def test_same_environment_has_no_differences() -> None:
    d, _ = _diff("prod", "prod")
    assert d.changes == [] and d.cost_delta == 0


def test_cli_formats() -> None:
    runner = CliRunner()
    text = runner.invoke(main, ["diff", THREE_TIER, "--from", "staging", "--to", "prod"])
    assert text.exit_code == 0, text.output
    assert "staging → prod" in text.output and "monthly cost:" in text.output
    js = json.loads(runner.invoke(main, ["diff", THREE_TIER, "--from", "dev", "--to", "prod", "--format", "json"]).output)
    assert js["from"] == "dev" and js["cost"]["delta"] == round(js["cost"]["to"] - js["cost"]["from"], 2)
    assert any(c["area"] == "sizing" for c in js["changes"])
    md = runner.invoke(main, ["diff", THREE_TIER, "--from", "staging", "--to", "prod", "--format", "markdown"])
    assert md.exit_code == 0 and "| area | subject | field | staging | prod |" in md.output


def test_unknown_environment_is_a_usage_error() -> None:
    res = CliRunner().invoke(main, ["diff", THREE_TIER, "--from", "staging", "--to", "qa"])
    assert res.exit_code == 2 and "no environment 'qa'" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(main, ["diff", THREE_TIER, "--to", "prod"])
    assert res.exit_code == 2
