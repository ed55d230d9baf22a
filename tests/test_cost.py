"""Cost pass: estimates checked against arithmetic written out from the cited unit prices.

Unit prices (library/prices.json, each row's source in brackets):
- rds db.m7g.large postgres multi-az eu-west-1: 0.372 USD/h   [Q:processed/rds-postgresql-ondemand.json]
- rds db.m6i.large postgres multi-az eu-west-1: 0.394 USD/h   [same file]
- rds storage-gp3 multi-az eu-west-1: 0.254 USD/GB-month      [Q:processed/rds-storage.json]
- rds storage-gp2 multi-az eu-west-1: 0.253 USD/GB-month      [same file]
- fargate eu-west-1 vCPU: arm64 0.03238, x86_64 0.04048 USD/h; GB: arm64 0.00356, x86_64 0.004445 USD/h [Q:processed/ecs.json]
- vpc nat-gateway us-east-1: 0.045 USD/h                       [L:lib/data/pricing/natgateway.json]
- elasticache cache.t4g.micro valkey eu-central-1: 0.0144 USD/h [Q:processed/elasticache.json]
- lambda eu-central-1: duration arm64 0.0000133334 USD/GB-s, x86 0.0000166667; requests 0.2 USD/1M [Q:processed/lambda.json]
"""
from __future__ import annotations

import pytest
from conftest import ROOT

from infracc.compiler.pipeline import analyze

H = 730


def estimate(yaml: str, env: str = "prod"):
    result = analyze(text="infracc: 1\nname: shop\n" + yaml)
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    return result.ir.envs[env]


def item(env, component: str, prefix: str):
    return next(i for i in env.cost.items if i.component == component and i.item.startswith(prefix))


def test_multi_az_postgres_m7g_large_100gb_gp3_eu_west_1() -> None:
    env = estimate("region: eu-west-1\ndatabases:\n  db: {instance: db.m7g.large, storage_gb: 100}\n")
    db = env.graph.component("database.db")
    assert db.sizing.multi_az is True  # prod is large → high availability
    assert item(env, "db", "db.m7g.large").monthly == pytest.approx(0.372 * H)      # 271.56
    assert item(env, "db", "storage-gp3").monthly == pytest.approx(0.254 * 100)     # 25.40
    assert db.cost.monthly == pytest.approx(0.372 * H + 0.254 * 100)                 # 296.96
    assert db.cost.baseline_monthly == pytest.approx(0.394 * H + 0.253 * 100)        # 312.92 (x86, gp2)
    assert item(env, "db", "backup storage").monthly is None  # usage-dependent, not summed


def test_fargate_arm64_vs_x86_baseline() -> None:
    env = estimate("region: eu-west-1\nenvironments: {dev: {off_hours: false}, prod: {}}\n"
                   "services:\n  w:\n    build: {context: ., language: go}\n"
                   "    cpu: 1\n    memory: 2Gi\n    replicas: 2\n", env="dev")  # always on (no off-hours schedule)
    w = env.graph.component("service.w")
    assert w.optimization.arch == "arm64"
    expected = 2 * H * (1 * 0.03238 + 2 * 0.00356)       # 57.67
    baseline = 2 * H * (1 * 0.04048 + 2 * 0.004445)      # 72.08
    assert w.cost.monthly == pytest.approx(expected, abs=0.01)
    assert w.cost.baseline_monthly == pytest.approx(baseline, abs=0.01)


def test_prebuilt_image_stays_x86() -> None:
    env = estimate("services:\n  w: {image: 'ghcr.io/a/w:1.0'}\n", env="dev")
    assert env.graph.component("service.w").optimization.arch == "x86_64"


def test_nat_single_outside_ha_and_per_az_in_baseline() -> None:
    env = estimate("region: us-east-1\nservices:\n  w: {image: 'ghcr.io/a/w:1.0'}\n", env="dev")
    assert env.network.nat_strategy == "single" and env.network.nat_gateways == 1
    assert item(env, "network", "NAT gateway").monthly == pytest.approx(0.045 * H)    # 32.85
    prod = estimate("region: us-east-1\nservices:\n  w: {image: 'ghcr.io/a/w:1.0'}\n")
    assert prod.network.nat_strategy == "per-az" and prod.network.nat_gateways == 3


def test_cache_nodes_double_in_ha() -> None:
    env = estimate("region: eu-central-1\ncompliance: [gdpr]\nenvironments:\n  dev: {}\n  prod: {size: small, high_availability: true}\n"
                   "caches:\n  c: {}\n")
    assert item(env, "c", "cache.t4g.micro").monthly == pytest.approx(0.0144 * H * 2)


def test_lambda_usage_priced_arm64() -> None:
    env = estimate("region: eu-central-1\nfunctions:\n  f:\n    runtime: python3.12\n    source: .\n    handler: a.h\n"
                   "    memory: 512\n    usage: {requests: 3000000, duration_ms: 200}\n")
    gb_s = 3_000_000 * 0.2 * 0.5                                          # 300,000 GB-s
    assert item(env, "f", "Lambda duration").monthly == pytest.approx(gb_s * 0.0000133334, rel=1e-4)
    assert item(env, "f", "Lambda requests").monthly == pytest.approx(3 * 0.2)
    f = env.graph.component("function.f")
    assert f.cost.baseline_monthly == pytest.approx(gb_s * 0.0000166667 + 0.6, rel=1e-4)


def test_usage_dependent_items_are_listed_not_summed() -> None:
    env = estimate("buckets:\n  b: {}\nqueues:\n  q: {}\n")
    for comp in ("b", "q"):
        for i in env.graph.component(f"{'bucket' if comp == 'b' else 'queue'}.{comp}").cost.items:
            assert i.monthly is None and i.unit_price is not None and "usage" in (i.assumption or "")


def test_missing_price_is_a_warning_not_zero() -> None:
    # us-west-1 is a region infracc deploys to but the price table does not cover.
    result = analyze(text="infracc: 1\nname: shop\nregion: us-west-1\ndatabases:\n  db: {instance: db.r6g.large}\n")
    assert result.ok
    warned = [d for d in result.diagnostics if d.code == "IC-COST-006"]
    assert warned and all(d.hint == "treat the estimate as a lower bound" for d in warned)
    line = next(i for i in result.ir.envs["dev"].cost.items if i.item.startswith("db.r6g.large"))
    assert line.unit_price is None and line.monthly is None


def test_spot_is_an_upper_bound_note_never_a_missing_price() -> None:
    """Fargate Spot and EC2 Spot have no rate in the table: on-demand, one wording, no warning."""
    ecs = analyze(text="infracc: 1\nname: shop\nenvironments:\n  dev: {spot: true}\n"
                       "services:\n  worker: {image: 'ghcr.io/a/k:1'}\n")
    eks = analyze(text="infracc: 1\nname: shop\nplatform: eks\nenvironments:\n  dev: {spot: true}\n"
                       "services:\n  web: {image: 'ghcr.io/a/w:1', port: 80}\n")
    for result, prefix in ((ecs, "Fargate vCPU"), (eks, "nodes ")):
        assert result.ok
        assert "IC-COST-006" not in [d.code for d in result.diagnostics]
        env = result.ir.envs["dev"]
        line = next(i for i in env.cost.items if i.item.startswith(prefix))
        assert line.unit_price is not None and "priced at on-demand, an upper bound" in (line.assumption or "")
        assert not env.cost.missing_prices


def test_extended_support_is_priced_and_warned_for_a_pinned_old_version() -> None:
    """PostgreSQL 13 left RDS standard support on 2026-02-28 (library/engines.json): the estimate
    carries an Extended Support line (vCPUs × 730 h), the spec gets a warning at `version`, and
    Terraform opts the instance in explicitly. The price table has Extended Support rows for
    postgres 10-12 and mysql 5.7 only, so the line for 13 is a missing price (IC-COST-006), never $0."""
    result = analyze(text="infracc: 1\nname: shop\nregion: us-east-1\ndatabases:\n  db: {engine: postgres, version: '13'}\n")
    assert result.ok
    warned = [d for d in result.diagnostics if d.code == "IC-COST-030"]
    assert warned and "Extended Support" in warned[0].message and warned[0].hint
    db = result.ir.envs["dev"].graph.component("database.db")
    assert db.sizing.engine_lifecycle_support == "open-source-rds-extended-support"
    line = next(i for i in db.cost.items if i.item.startswith("RDS Extended Support"))
    assert line.quantity == 2 * H  # db.t4g.micro: 2 vCPUs
    assert line.unit_price is None and line.monthly is None
    assert any(d.code == "IC-COST-006" and "extended-support-13" in d.message for d in result.diagnostics)


def test_extended_support_warning_carries_the_table_price_where_it_has_one() -> None:
    from infracc.compiler.passes import cost as c

    # The message is built from the table row: 0.10 USD per vCPU-hour in us-east-1 for postgres 12.
    row = c.lib.price("rds", "extended-support-12-year1-2", "us-east-1", engine="postgres")
    assert row is not None and row.usd == pytest.approx(0.1)
    assert c.extended_support_text("postgres", "12", "2025-02-28", 4, row.usd * 4 * H) == (
        "postgres 12 left RDS standard support on 2025-02-28: RDS Extended Support adds "
        "$292.00/month (4 vCPUs × 730 h at the year 1-2 rate)")


def test_default_engine_versions_are_in_standard_support() -> None:
    result = analyze(text="infracc: 1\nname: shop\ndatabases:\n  a: {engine: postgres}\n  b: {engine: mysql}\n")
    assert result.ok
    for name in ("a", "b"):
        sz = result.ir.envs["prod"].graph.component(f"database.{name}").sizing
        assert sz.engine_version in ("17", "8.4")
        assert sz.engine_lifecycle_support == "open-source-rds-extended-support-disabled"
        assert not any(i.item.startswith("RDS Extended Support")
                       for i in result.ir.envs["prod"].graph.component(f"database.{name}").cost.items)


def test_spot_for_interruptible_work_only() -> None:
    env = estimate("environments:\n  dev: {spot: true}\nservices:\n  web: {image: 'ghcr.io/a/w:1', port: 80}\n"
                   "  worker: {image: 'ghcr.io/a/k:1'}\njobs:\n  j: {image: 'ghcr.io/a/j:1', schedule: '0 1 * * *'}\n", env="dev")
    caps = {c.name: c.optimization.capacity for c in env.graph.components("service", "job")}
    assert caps == {"web": "on-demand", "worker": "spot", "j": "spot"}


def test_savings_are_reported_for_the_examples() -> None:
    from conftest import ROOT

    result = analyze(ROOT / "examples" / "three-tier" / "stack.yaml")
    for env in result.ir.envs.values():
        assert env.cost.baseline_monthly > env.cost.monthly > 0
        assert env.cost.savings_percent == pytest.approx(
            100 * (env.cost.baseline_monthly - env.cost.monthly) / env.cost.baseline_monthly, abs=0.1)


def test_log_ingestion_is_priced_at_the_standard_class() -> None:
    """The table has two CloudWatch Logs ingestion tiers; infracc's log groups are Standard class."""
    env = estimate("region: eu-west-1\nservices:\n  w: {image: 'ghcr.io/a/w:1.0'}\n", env="dev")
    assert item(env, "operations", "CloudWatch Logs ingestion").unit_price == pytest.approx(0.57)  # not IA's 0.285


def test_budget_follows_the_estimate_unless_the_spec_sets_it() -> None:
    result = analyze(text="infracc: 1\nname: shop\nenvironments:\n  dev: {budget: {monthly_usd: 55}}\n"
                          "  qa: {}\n  prod: {budget: false}\nservices:\n  w: {image: 'ghcr.io/a/w:1.0'}\n")
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    envs = result.ir.envs
    assert envs["dev"].cost.budget_usd == 55
    assert envs["prod"].cost.budget_usd is None
    qa = envs["qa"].cost
    assert qa.budget_usd % 10 == 0 and qa.monthly <= qa.budget_usd < qa.monthly + 10


def _estimate_rows():
    """(title, rows) of the `cost` table for every example environment."""
    from infracc.compiler import cost_report
    from infracc.compiler.pipeline import analyze

    found = []
    for example in sorted((ROOT / "examples").glob("*/stack.yaml")):
        result = analyze(example)
        assert result.ir is not None
        for env in result.ir.envs.values():
            found.append((f"{env.name} — {env.settings.region}, size {env.settings.size}", cost_report._rows(env)))
    return found


def test_plain_cost_table_is_what_rich_lays_out() -> None:
    """`cost` draws its table itself when nothing wraps (rich took seconds on large stacks);
    rich stays the reference: the same text on every example environment, on a table whose
    cells are longer than the others and on one too wide to draw plainly."""
    from infracc.compiler import cost_report

    cases = _estimate_rows()
    cases.append(("long — a title", [("a" * 30, "b" * 40, "1.0", "$1/hour", "$2.00"), ("c", "d", "usage", "—", "—")]))
    for title, rows in cases:
        plain = cost_report.plain_table(title, rows)
        assert plain is not None, title
        assert plain == cost_report.rich_table(title, rows), title
    too_wide = [("x" * 60, "y" * 60, "1.0", "$1/hour", "$2.00")]
    assert cost_report.plain_table("wide", too_wide) is None           # rich wraps this one
    assert cost_report.plain_table("wide", [("Ｗｉｄｅ", "b", "1", "$1", "$1")]) is None  # double-width cells
