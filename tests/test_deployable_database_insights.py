"""Performance Insights only where RDS accepts it (issue #12, defect 2).

RDS for MySQL refuses Performance Insights on micro/small burstable classes (the `small`
profile's db.t4g.micro among them), so `terraform apply` failed for MySQL in dev. The sizing
pass decides `performance_insights` per database and environment; the backend follows it.
"""
from __future__ import annotations

import json

import pytest
from conftest import ROOT

from infracc.compiler.passes.sizing import performance_insights
from infracc.compiler.pipeline import analyze, emit

# environment → size (the default environments), and the class that size picks.
SIZES = {"dev": ("small", "db.t4g.micro"), "staging": ("medium", "db.t4g.medium"), "prod": ("large", "db.m7g.large")}


def _compile(engine: str, instance: str | None = None):
    extra = f", instance: {instance}" if instance else ""
    text = f"infracc: 1\nname: shop\ntargets: [terraform]\ndatabases:\n  db: {{engine: {engine}{extra}}}\n"
    result = analyze(text=text, source_dir=str(ROOT))
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    emit(result)
    docs = {p.parts[1]: json.loads(t) for p, t in result.files.items()
            if p.parts[0] == "terraform" and p.name == "cdk.tf.json"}
    return result.ir, docs


@pytest.mark.parametrize("engine", ["mysql", "postgres"])
def test_performance_insights_follow_engine_and_instance_class(engine: str) -> None:
    ir, docs = _compile(engine)
    assert set(ir.envs) == set(SIZES)
    for env, (size, instance) in SIZES.items():
        sizing = ir.envs[env].graph.component("database.db").sizing
        assert (sizing.profile, sizing.instance_class) == (size, instance)
        expected = not (engine == "mysql" and size == "small")
        assert sizing.performance_insights is expected, (engine, env)
        db = docs[env]["resource"]["aws_db_instance"]["db"]
        assert db["instance_class"] == instance
        assert db["performance_insights_enabled"] is expected
        # The key only where Performance Insights is on (and then always the store's key).
        assert ("performance_insights_kms_key_id" in db) is expected
        if expected:
            assert db["performance_insights_kms_key_id"] == db["kms_key_id"]


@pytest.mark.parametrize("instance,expected", [("db.t3.small", False), ("db.t4g.small", False), ("db.t2.micro", False),
                                               ("db.t4g.medium", True), ("db.r7g.large", True)])
def test_explicit_mysql_instance_class(instance: str, expected: bool) -> None:
    assert performance_insights("mysql", instance) is expected
    assert performance_insights("postgres", instance) is True


def test_explicit_small_mysql_class_in_every_environment() -> None:
    ir, docs = _compile("mysql", "db.t3.small")
    for env in SIZES:
        assert ir.envs[env].graph.component("database.db").sizing.performance_insights is False
        assert docs[env]["resource"]["aws_db_instance"]["db"]["performance_insights_enabled"] is False
